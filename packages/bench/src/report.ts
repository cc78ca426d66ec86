import { SERVICES } from '@mesh/e2e';
import type { ArmResult } from './arm';
import { CODE_KINDS, codeKind, shareOut } from './cpu-profile';
import {
  type FixedRateResult,
  type InstrumentationExperiment,
  type ProfiledResult,
  type ProfileExperiment,
  type ScalingExperiment,
  servicesCpu,
} from './experiments';
import type { LinePlot, Series } from './plot';
import type { Profile } from './profiles';
import { type CostedProcess, OTHER_PROCESSES } from './session';
import { median, pairRatios, percentile, type Spread, spread } from './stats';

export interface Machine {
  cores: number;
  cpuModel: string;
  node: string;
  postgres: string;
  kafka: string;
  vegeta: string;
}

export interface Run {
  profile: Profile;
  machine: Machine;
  startedAt: string;
  durationS: number;
  arms: ArmResult[];
  /** What each part of the telemetry costs (absent in runs from before it existed). */
  instrumentation?: InstrumentationExperiment;
  /** Where the CPU goes, from the services' CPU profiles. */
  cpuProfile?: ProfileExperiment;
  /** How cost grows with instances. */
  scaling?: ScalingExperiment;
  /** Said at the top of the document, e.g. that the machine was shared during the run. */
  caveat?: string;
}

const f = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
const spreadCells = (s: Spread, digits = 2) => [
  f(s.min, digits),
  f(s.median, digits),
  f(s.max, digits),
];

/** The on and off results of each pair, in pair order (a pair missing an arm is left out). */
export function pairsOf(arms: readonly ArmResult[]): { on: ArmResult; off: ArmResult }[] {
  const pairs: { on: ArmResult; off: ArmResult }[] = [];
  for (const pair of [...new Set(arms.map((a) => a.pair))].sort((a, b) => a - b)) {
    const on = arms.find((a) => a.pair === pair && a.arm === 'on');
    const off = arms.find((a) => a.pair === pair && a.arm === 'off');
    if (on && off) pairs.push({ on, off });
  }
  return pairs;
}

function ratio(pairs: { on: ArmResult; off: ArmResult }[], pick: (a: ArmResult) => number): Spread {
  return spread(pairRatios(pairs.map(({ on, off }) => ({ on: pick(on), off: pick(off) }))));
}

/** Lag samples taken during the peak measurement, per group. */
function peakLags(arm: ArmResult, group: string): number[] {
  return arm.lag.samples
    .filter((s) => s.t >= arm.lag.peakFrom && s.t <= arm.lag.peakTo)
    .map((s) => s.groups[group]?.lag ?? Number.NaN)
    .filter(Number.isFinite);
}

const groupName = (group: string) => group.split('.').at(-1) ?? group;

export function latencyPlot(arms: readonly ArmResult[], p99LimitMs: number): LinePlot {
  const series: Series[] = [];
  for (const [colour, armName] of (['off', 'on'] as const).entries()) {
    const loads = arms.filter((a) => a.arm === armName).flatMap((a) => [...a.steps, a.half]);
    const rates = [...new Set(loads.map((l) => l.rate))].sort((a, b) => a - b);
    const at = (rate: number, pick: (l: (typeof loads)[number]) => number) =>
      median(loads.filter((l) => l.rate === rate).map(pick));
    series.push(
      {
        name: `${armName}: p99`,
        points: rates.map((r) => [r, at(r, (l) => l.p99Ms)] as const),
        colour,
      },
      {
        name: `${armName}: p50`,
        points: rates.map((r) => [r, at(r, (l) => l.p50Ms)] as const),
        dashed: true,
        colour,
      },
    );
  }
  const offered = arms.flatMap((a) => [...a.steps, a.half]).map((l) => l.rate);
  if (offered.length > 0) {
    series.push({
      name: 'p99 objective',
      points: [
        [Math.min(...offered), p99LimitMs],
        [Math.max(...offered), p99LimitMs],
      ],
      dashed: true,
      colour: 2,
    });
  }
  return {
    title: 'Latency vs offered load (median over pairs)',
    xLabel: 'offered orders/s',
    yLabel: 'latency (ms)',
    series,
  };
}

export function lagPlot(arms: readonly ArmResult[]): LinePlot {
  const series: Series[] = [];
  // The pair that built up the most lag: a backlog is what the plot is there to show.
  const maxLag = (a: ArmResult) =>
    Math.max(0, ...a.lag.samples.flatMap((s) => Object.values(s.groups).map((g) => g.lag)));
  const shown = [...arms].sort((a, b) => maxLag(b) - maxLag(a) || a.pair - b.pair)[0]?.pair ?? 1;
  for (const arm of arms.filter((a) => a.pair === shown)) {
    for (const [colour, group] of arm.lag.groups.entries()) {
      series.push({
        name: `${arm.arm}: ${groupName(group)}`,
        points: arm.lag.samples.map((s) => [s.t, s.groups[group]?.lag ?? Number.NaN] as const),
        dashed: arm.arm === 'off',
        colour,
      });
    }
  }
  return {
    title: `Consumer lag over time (pair ${shown}, the one with the largest backlog)`,
    xLabel: 'seconds since the arm started',
    yLabel: 'lag (events)',
    series,
  };
}

/**
 * The document. `notes` are the hand-written sections (packages/bench/notes.md: where the goals
 * stand, and the changes the numbers led to), kept at its end as they are.
 */
export function renderReport(
  run: Run,
  plots: { latency: string; lag: string },
  notes?: string,
): string {
  const pairs = pairsOf(run.arms);
  const { machine, profile } = run;
  const lines: string[] = [
    '# Performance',
    '',
    `Generated by \`pnpm bench --profile ${profile.name}\` (packages/bench) on ${run.startedAt}, in ${Math.round(run.durationS)} s.`,
    '',
  ];
  if (run.caveat) lines.push(`> **${run.caveat}**`, '');
  lines.push(
    '## Method',
    '',
    `- The five services run natively as real processes (built \`dist/\`), each arm on a fresh database, Redis prefix, topic and consumer groups, against the native PostgreSQL, Redis and Kafka. Payment's simulated latency is 0. Stock of the four SKUs ordered is set to 100 000 000 first, so no order is rejected for lack of stock.`,
    "- **on**: the services start with the telemetry preload, sampling 100 %, exporting OTLP/HTTP (protobuf) to the collector built from infra/otel-collector (scripts/otelcol.sh), run with the native configuration packages/dev derives (receiver, memory_limiter, redaction, span metrics, service graph, prometheus exporter). The SDK's defaults, as compose and the Helm chart run it: spans batched every 5 s (queue 2048), log records every 1 s, metrics every 60 s; plus the SDK's own metrics (`OTEL_NODE_EXPERIMENTAL_SDK_METRICS`) to count ended and dropped spans. At the end of an arm the services stop gracefully, which flushes every signal, before spans are counted.",
    '- **off**: the same processes started without the preload: the SDK and its instrumentations are never loaded (not `OTEL_SDK_DISABLED`, under which the modules still load).',
    `- Arms interleaved off, on, off, on … (${profile.pairs} pair(s)); every ratio is on ÷ off within a pair; min / median / max over pairs.`,
    `- Load: vegeta (scripts/vegeta.sh), open model at a constant arrival rate, each request a distinct POST /api/orders (one item; the n-th request of a step is always the same). Warm-up ${profile.warmup.rate}/s for ${profile.warmup.seconds} s, then the step search: from ${profile.search.start}/s, ×${profile.search.growth} while a ${profile.stepSeconds} s step keeps p99 < ${profile.search.p99LimitMs} ms with ≤ ${profile.search.maxFailedShare * 100} % non-2xx, up to ${profile.search.maxRate}/s, then ${profile.search.refinements} bisection(s); after a failed step, ${profile.cooldownSeconds} s without load so the next step does not start on its backlog. Then ${profile.measureSeconds} s at half the sustained rate (latency) and ${profile.measureSeconds} s at the sustained rate (peak: cost, lag, events).`,
    "- Cost: CPU ticks from /proc/<pid>/stat (self and reaped children) over the peak measurement, per 1 000 accepted orders: each service, this run's PostgreSQL backends (pg_stat_activity), the Kafka broker and the collector (both shared by the whole run; Kafka also by anything else on the machine). Peak RSS: VmHWM of each service at the end of its arm.",
    '- Consumer lag: read from the broker once a second, independently of the gauge the consumers report themselves (kafkajs admin: topic end offsets − committed offsets, summed over partitions). Async parity: events each group committed per second ÷ events produced per second during the peak measurement.',
    "- Span delivery (on arm, whole arm, counted after the services stopped): spans the collector accepted (`otelcol_receiver_accepted_spans`) ÷ spans the services' batch processors finished (`otel.sdk.processor.span.processed`, all outcomes); dropped = those with `error.type=queue_full`.",
    '- The load generator runs on the same machine and competes for its cores.',
    '',
    '## Machine',
    '',
    `${machine.cores} cores, ${machine.cpuModel}; Node ${machine.node}; PostgreSQL ${machine.postgres}; Kafka ${machine.kafka}; vegeta ${machine.vegeta}.`,
    '',
    '## Ratios (on ÷ off)',
    '',
    row(['measure', 'min', 'median', 'max', 'per pair']),
    row(['---', '---', '---', '---', '---']),
  );
  const addRatio = (name: string, s: Spread) =>
    lines.push(row([name, ...spreadCells(s), s.values.map((v) => f(v)).join(', ')]));
  addRatio(
    `telemetry tax: sustained rate at p99 < ${profile.search.p99LimitMs} ms`,
    ratio(pairs, (a) => a.search.sustained),
  );
  addRatio(
    'p50 at half the sustained rate',
    ratio(pairs, (a) => a.half.p50Ms),
  );
  addRatio(
    'p99 at half the sustained rate',
    ratio(pairs, (a) => a.half.p99Ms),
  );
  // Not the collector: with telemetry off it idles, so its ratio says nothing (its cost is below).
  for (const name of [...SERVICES, 'postgres', 'kafka'] as CostedProcess[]) {
    addRatio(
      `CPU per order: ${name}`,
      ratio(pairs, (a) => a.cpuPerThousand[name] ?? Number.NaN),
    );
  }

  const onArms = run.arms.filter((a) => a.arm === 'on' && a.spans);
  lines.push(
    '',
    '## Span delivery (on arms)',
    '',
    row([
      'pair',
      'spans ended',
      'accepted by the collector',
      'delivered',
      'dropped (queue full)',
      'export failed',
      'refused by the collector',
    ]),
    row(['---', '---', '---', '---', '---', '---', '---']),
    ...onArms.map((a) => {
      const s = a.spans as NonNullable<ArmResult['spans']>;
      return row([
        a.pair,
        s.ended,
        s.accepted,
        f(s.accepted / s.ended, 4),
        s.dropped,
        s.exportFailed,
        s.refused,
      ]);
    }),
    '',
    '## Absolute figures per arm',
    '',
    row([
      'pair',
      'arm',
      'sustained orders/s',
      'peak: accepted orders/s',
      'peak p50 / p99 ms',
      'half: rate',
      'half p50 / p99 ms',
      'search steps (rate: p99 ms)',
    ]),
    row(['---', '---', '---', '---', '---', '---', '---', '---']),
    ...run.arms.map((a) =>
      row([
        a.pair,
        a.arm,
        a.search.sustained,
        f(a.peak.accepted / a.peak.durationS, 1),
        `${f(a.peak.p50Ms, 0)} / ${f(a.peak.p99Ms, 0)}`,
        a.half.rate,
        `${f(a.half.p50Ms, 0)} / ${f(a.half.p99Ms, 0)}`,
        a.search.steps.map((s) => `${s.rate}: ${f(s.p99Ms, 0)}`).join(', '),
      ]),
    ),
    '',
    '## Async parity and consumer lag at the peak rate',
    '',
    'Parity is events a group processed per second ÷ events produced per second. Against orders accepted per second the ratio would be the events per order, shown beside it.',
    '',
    row([
      'pair',
      'arm',
      'orders accepted/s',
      'events produced/s',
      'events per order',
      'group',
      'processed/s',
      'parity',
      'lag p99 (events)',
      'lag max (events)',
    ]),
    row(['---', '---', '---', '---', '---', '---', '---', '---', '---', '---']),
  );
  for (const a of run.arms) {
    const ordersPerSecond = a.peak.accepted / a.peak.durationS;
    for (const group of a.lag.groups) {
      const processed = a.eventsPerSecond.groups[group] ?? Number.NaN;
      const lags = peakLags(a, group);
      lines.push(
        row([
          a.pair,
          a.arm,
          f(ordersPerSecond, 1),
          f(a.eventsPerSecond.produced, 1),
          f(a.eventsPerSecond.produced / ordersPerSecond),
          groupName(group),
          f(processed, 1),
          f(processed / a.eventsPerSecond.produced),
          f(percentile(lags, 0.99), 0),
          lags.length ? Math.max(...lags) : 'n/a',
        ]),
      );
    }
  }
  lines.push(
    '',
    '## Cost at the peak rate (CPU-seconds per 1 000 orders; peak RSS MiB), median over pairs',
    '',
    row(['process', 'CPU-s / 1000 off', 'CPU-s / 1000 on', 'peak RSS off', 'peak RSS on']),
    row(['---', '---', '---', '---', '---']),
  );
  const armMedian = (arm: 'on' | 'off', pick: (a: ArmResult) => number) =>
    median(
      run.arms
        .filter((a) => a.arm === arm)
        .map(pick)
        .filter(Number.isFinite),
    );
  for (const name of [...SERVICES, ...OTHER_PROCESSES] as CostedProcess[]) {
    const service = (SERVICES as readonly string[]).includes(name);
    const rss = (arm: 'on' | 'off') =>
      service
        ? f(
            armMedian(arm, (a) => (a.peakRssBytes[name as never] ?? Number.NaN) / 2 ** 20),
            0,
          )
        : '';
    lines.push(
      row([
        name,
        f(armMedian('off', (a) => a.cpuPerThousand[name] ?? Number.NaN)),
        f(armMedian('on', (a) => a.cpuPerThousand[name] ?? Number.NaN)),
        rss('off'),
        rss('on'),
      ]),
    );
  }
  lines.push(
    '',
    '## Plots',
    '',
    `![Latency vs offered load, on and off](${plots.latency})`,
    '',
    `![Consumer lag over time](${plots.lag})`,
    '',
  );
  if (run.instrumentation) lines.push(...instrumentationSection(run.instrumentation), '');
  if (run.cpuProfile) lines.push(...cpuProfileSection(run.cpuProfile), '');
  if (run.scaling) lines.push(...scalingSection(run.scaling), '');
  const onCost = run.arms.filter((a) => a.arm === 'on');
  if (onCost.length > 0) lines.push(...onPaperSection(onCost), '');
  if (notes?.trim()) lines.push(notes.trim(), '');
  return lines.join('\n');
}

/**
 * What makes a run's figures unusable, whatever the machine: an arm that got no order through,
 * a telemetry-on arm whose spans never reached the collector, a consumer lag never read. Empty
 * when the run measured what it set out to.
 */
export function runDefects(arms: readonly ArmResult[]): string[] {
  const defects: string[] = [];
  if (pairsOf(arms).length === 0) defects.push('no complete on/off pair');
  for (const a of arms) {
    const name = `pair ${a.pair} ${a.arm}`;
    if (a.peak.accepted === 0) defects.push(`${name}: no order accepted at the peak rate`);
    if (a.lag.samples.length < 2) defects.push(`${name}: consumer lag not sampled`);
    if (a.arm === 'on' && !(a.spans && a.spans.accepted > 0 && a.spans.ended > 0)) {
      defects.push(`${name}: no span counted at the collector or in the SDK`);
    }
  }
  return defects;
}

const servicesMedian = (results: readonly FixedRateResult[]) =>
  median(results.map((r) => servicesCpu(r.measurement.cpuPerThousand)).filter(Number.isFinite));

function instrumentationSection(experiment: InstrumentationExperiment): string[] {
  const rounds = Math.max(0, ...experiment.results.map((r) => r.round));
  const of = (variant: string) => experiment.results.filter((r) => r.variant === variant);
  const inRound = (variant: string, round: number) =>
    servicesCpu(
      experiment.results.find((r) => r.variant === variant && r.round === round)?.measurement
        .cpuPerThousand ?? {},
    );
  /** Median over rounds of `on` minus the variant, each round against its own `on`. */
  const savedAgainstOn = (variant: string) =>
    median(
      Array.from(
        { length: rounds },
        (_, i) => inRound('on', i + 1) - inRound(variant, i + 1),
      ).filter(Number.isFinite),
    );
  const tax = savedAgainstOn('off');
  const lines = [
    '## What each part of the telemetry costs',
    '',
    `Run on ${experiment.startedAt}, in ${Math.round(experiment.durationS)} s. Each variant starts the five services afresh, warms up, then takes ${experiment.rate} orders/s for ${experiment.measureSeconds} s: one rate for all, so CPU per order compares (the p99 column shows how near its limit each variant ran); ${rounds} round(s), every variant once per round, in the order below in odd rounds and the reverse in even ones. CPU is the five services together, per 1 000 accepted orders, median over rounds. "Saves" is \`on\` minus the variant within each round, median over rounds, so a machine whose speed drifts between rounds moves both sides; "share of the tax" is that saving ÷ (\`on\` − \`off\`), measured the same way. The collector's CPU is counted apart, since the services' settings change what it receives.`,
    '',
    row([
      'variant',
      'what it changes',
      'services CPU-s / 1000',
      'per round',
      'saves',
      'share of the tax',
      'collector CPU-s / 1000',
      'p99 ms',
    ]),
    row(['---', '---', '---', '---', '---', '---', '---', '---']),
  ];
  for (const variant of experiment.variants) {
    const results = of(variant.name);
    const saves = savedAgainstOn(variant.name);
    const compared = variant.name !== 'on' && variant.name !== 'off';
    lines.push(
      row([
        variant.name,
        variant.what,
        f(servicesMedian(results)),
        results.map((r) => f(servicesCpu(r.measurement.cpuPerThousand))).join(', '),
        compared ? f(saves) : '',
        compared ? `${f((saves / tax) * 100, 0)} %` : '',
        f(median(results.map((r) => r.measurement.cpuPerThousand.collector ?? Number.NaN))),
        f(median(results.map((r) => r.measurement.load.p99Ms)), 0),
      ]),
    );
  }
  return lines;
}

/**
 * CPU-s per 1 000 accepted orders by origin of the code, the five services together: each
 * service's measured CPU shared out by its profile.
 */
export function profiledPerThousand(
  result: ProfiledResult,
  by: 'origin' | 'function' = 'origin',
): Record<string, number> {
  const perThousand: Record<string, number> = {};
  for (const name of SERVICES) {
    const origins = result.profiled[name];
    const samples = by === 'origin' ? origins : result.functions?.[name];
    if (!origins || !samples) continue;
    const total = Object.values(origins).reduce((sum, n) => sum + n, 0);
    const measured = result.measurement.cpuPerThousand[name] ?? Number.NaN;
    for (const [key, cpu] of Object.entries(shareOut(measured, samples, total))) {
      perThousand[key] = (perThousand[key] ?? 0) + cpu;
    }
  }
  return perThousand;
}

/** Functions of OpenTelemetry's code listed with telemetry on. */
const LISTED_FUNCTIONS = 12;

/** Origins listed one by one; the rest are summed into one row. */
const LISTED_ORIGINS = 15;

function cpuProfileSection(experiment: ProfileExperiment): string[] {
  const rounds = Math.max(0, ...experiment.results.map((r) => r.round));
  const names = experiment.variants.map((v) => v.name);
  const perVariant = names.map((name) =>
    experiment.results.filter((r) => r.variant === name).map((r) => profiledPerThousand(r)),
  );
  const medianOf = (index: number, pick: (byOrigin: Record<string, number>) => number) =>
    median((perVariant[index] ?? []).map(pick));
  const sumOf = (byOrigin: Record<string, number>, keep: (origin: string) => boolean) =>
    Object.entries(byOrigin).reduce((sum, [origin, v]) => sum + (keep(origin) ? v : 0), 0);
  const offIndex = names.indexOf('off');
  const onIndex = names.indexOf('on');
  const cells = (keep: (origin: string) => boolean) => {
    const values = names.map((_, i) => medianOf(i, (byOrigin) => sumOf(byOrigin, keep)));
    const tax = (values[onIndex] ?? Number.NaN) - (values[offIndex] ?? Number.NaN);
    return [...values.map((v) => f(v)), f(tax)];
  };
  const header = [...names, 'on − off'];
  const lines = [
    '## Where the CPU goes',
    '',
    `Run on ${experiment.startedAt}, in ${Math.round(experiment.durationS)} s. Each variant starts the five services afresh under V8's sampling profiler (\`node --cpu-prof\`, a sample every millisecond), warms up, then takes ${experiment.rate} orders/s for ${experiment.measureSeconds} s; ${rounds} round(s). Every sample taken during the measurement is put down to the code on top of the stack: an npm package, a part of Node.js, Mesh's own code, or V8 itself. Each service's CPU, measured as in the other sections, is shared out in proportion to its samples (samples are counted, not timed: on two busy cores the time between samples is mostly time spent waiting for a core). Figures are CPU-seconds per 1 000 accepted orders, the five services together, median over rounds. The profiler costs CPU of its own, so the totals run above those of the section before.`,
    '',
    row(['kind of code', ...header]),
    row(header.concat('').map(() => '---')),
  ];
  for (const kind of CODE_KINDS) lines.push(row([kind, ...cells((o) => codeKind(o) === kind)]));
  lines.push(row(['**all**', ...cells(() => true)]));
  const origins = new Set(perVariant.flat().flatMap((byOrigin) => Object.keys(byOrigin)));
  const growth = (origin: string) =>
    medianOf(onIndex, (b) => b[origin] ?? 0) - medianOf(offIndex, (b) => b[origin] ?? 0);
  const ranked = [...origins].sort((a, b) => growth(b) - growth(a));
  const listed = ranked.slice(0, LISTED_ORIGINS);
  lines.push(
    '',
    `The ${listed.length} origins whose CPU grew most from \`off\` to \`on\`, by the code on top of the stack:`,
    '',
    row(['origin', ...header]),
    row(header.concat('').map(() => '---')),
  );
  for (const origin of listed) lines.push(row([origin, ...cells((o) => o === origin)]));
  const rest = new Set(ranked.slice(LISTED_ORIGINS));
  if (rest.size > 0) lines.push(row(['everything else', ...cells((o) => rest.has(o))]));

  const functionsOn = experiment.results
    .filter((r) => r.variant === 'on')
    .map((r) => profiledPerThousand(r, 'function'));
  const keys = new Set(functionsOn.flatMap((byFunction) => Object.keys(byFunction)));
  const cpuOf = (key: string) => median(functionsOn.map((byFunction) => byFunction[key] ?? 0));
  const busiest = [...keys].sort((a, b) => cpuOf(b) - cpuOf(a)).slice(0, LISTED_FUNCTIONS);
  if (busiest.length > 0) {
    lines.push(
      '',
      `The ${busiest.length} functions of OpenTelemetry's packages that took most CPU with telemetry \`on\`:`,
      '',
      row(['package', 'function', 'CPU-s / 1000 orders']),
      row(['---', '---', '---']),
    );
    for (const key of busiest) {
      const [origin = '', ...name] = key.split(' ');
      lines.push(row([origin, `\`${name.join(' ')}\``, f(cpuOf(key))]));
    }
  }
  return lines;
}

const consumerGroup = (result: FixedRateResult, name: string) =>
  Object.keys(result.lag).find((group) => group.endsWith(`.${name}`)) ?? name;

function scalingSection(experiment: ScalingExperiment): string[] {
  const { consumers, orders } = experiment;
  const lines = [
    '## How cost grows with instances',
    '',
    `Run on ${experiment.startedAt}, in ${Math.round(experiment.durationS)} s, telemetry on. The order-events topic has 3 partitions, so a group uses at most 3 instances.`,
    '',
    `**Consumers.** ${consumers.rate} orders/s for ${consumers.measureSeconds} s after warm-up, with 1 to N instances of inventory and notification. One message at a time, the shape the consumers had before they took batches, is where instances matter: each notification waits ~40 ms on the simulated e-mail provider. The last row is the default (16 messages at once, one instance).`,
    '',
    row([
      'variant',
      'orders accepted/s',
      'events produced/s',
      'inventory processed/s',
      'notification processed/s',
      'notification parity',
      'notification lag p99 / at the end',
      'CPU-s / 1000: inventory, notification (all instances)',
      'peak RSS MiB per instance: notification',
    ]),
    row(['---', '---', '---', '---', '---', '---', '---', '---', '---']),
  ];
  for (const result of consumers.results) {
    const m = result.measurement;
    const inventory = m.eventsPerSecond.groups[consumerGroup(result, 'inventory')] ?? Number.NaN;
    const notificationGroup = consumerGroup(result, 'notification');
    const notification = m.eventsPerSecond.groups[notificationGroup] ?? Number.NaN;
    const lag = result.lag[notificationGroup];
    lines.push(
      row([
        result.variant,
        f(m.load.accepted / m.load.durationS, 1),
        f(m.eventsPerSecond.produced, 1),
        f(inventory, 1),
        f(notification, 1),
        f(notification / m.eventsPerSecond.produced),
        `${f(lag?.p99 ?? Number.NaN, 0)} / ${f(lag?.last ?? Number.NaN, 0)}`,
        `${f(m.cpuPerThousand.inventory ?? Number.NaN)}, ${f(m.cpuPerThousand.notification ?? Number.NaN)}`,
        f((result.peakRssBytes.notification ?? Number.NaN) / 2 ** 20, 0),
      ]),
    );
  }
  lines.push(
    '',
    '**Order instances.** The step search of the tax arms, with one and with two order instances behind a round-robin TCP balancer (in the benchmark process, as a Kubernetes Service would sit in front of them; its own CPU is not counted).',
    '',
    row([
      'variant',
      'sustained orders/s',
      'search steps (rate: p99 ms)',
      'CPU-s / 1000 at the sustained rate: gateway, order (all instances), PostgreSQL',
    ]),
    row(['---', '---', '---', '---']),
    ...orders.results.map((result) =>
      row([
        result.variant,
        result.sustained,
        result.steps.map((s) => `${s.rate}: ${f(s.p99Ms, 0)}`).join(', '),
        ['gateway', 'order', 'postgres']
          .map((name) => f(result.peak.cpuPerThousand[name as CostedProcess] ?? Number.NaN))
          .join(', '),
      ]),
    ),
  );
  return lines;
}

/** Cores each process needs at 10× and 100× the sustained rate, from the measured CPU per order. */
function onPaperSection(onArms: readonly ArmResult[]): string[] {
  const sustained = median(onArms.map((a) => a.search.sustained));
  const lines = [
    '## 10× and 100× on paper',
    '',
    `From the CPU per order the telemetry-on arms measured at their peak (median over pairs), the cores each process would need at 10× and 100× the sustained rate measured here (${f(sustained, 0)} orders/s), if cost per order stayed flat. It will not stay exactly flat (pools, batching and caches change with load), so these are starting points for sizing, not promises.`,
    '',
    row([
      'process',
      'CPU-s / 1000 orders',
      `cores at ${f(sustained * 10, 0)}/s`,
      `cores at ${f(sustained * 100, 0)}/s`,
    ]),
    row(['---', '---', '---', '---']),
  ];
  for (const name of [...SERVICES, ...OTHER_PROCESSES] as CostedProcess[]) {
    const cpu = median(
      onArms.map((a) => a.cpuPerThousand[name] ?? Number.NaN).filter(Number.isFinite),
    );
    lines.push(
      row([
        name,
        f(cpu),
        f((cpu * sustained * 10) / 1000, 1),
        f((cpu * sustained * 100) / 1000, 1),
      ]),
    );
  }
  return lines;
}

/** What makes the instrumentation and scaling experiments' figures unusable. */
export function experimentDefects(
  run: Pick<Run, 'instrumentation' | 'cpuProfile' | 'scaling'>,
): string[] {
  const defects: string[] = [];
  for (const result of run.cpuProfile?.results ?? []) {
    const missing = SERVICES.filter((name) => !result.profiled[name]);
    if (missing.length > 0) {
      defects.push(
        `${result.variant} (round ${result.round}): no CPU profile from ${missing.join(', ')}`,
      );
    }
    if (result.measurement.load.accepted === 0) {
      defects.push(`${result.variant} (round ${result.round}), profiled: no order accepted`);
    }
  }
  const fixed = [
    ...(run.instrumentation?.results ?? []),
    ...(run.scaling?.consumers.results ?? []),
  ];
  for (const result of fixed) {
    if (result.measurement.load.accepted === 0) {
      defects.push(`${result.variant} (round ${result.round}): no order accepted`);
    }
  }
  for (const result of run.scaling?.consumers.results ?? []) {
    const processed = Object.values(result.measurement.eventsPerSecond.groups);
    if (!processed.some((rate) => rate > 0)) {
      defects.push(`${result.variant}: no event processed`);
    }
  }
  for (const result of run.scaling?.orders.results ?? []) {
    if (result.peak.load.accepted === 0) defects.push(`${result.variant}: no order accepted`);
  }
  return defects;
}
