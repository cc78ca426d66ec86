import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SERVICES, type ServiceName, type StackOptions } from '@mesh/e2e';
import {
  type CpuProfile,
  openTelemetrySamplesByFunction,
  profilePid,
  samplesByOrigin,
} from './cpu-profile';
import type { Profile } from './profiles';
import {
  type BenchContext,
  type CostedProcess,
  type Measurement,
  withBenchSession,
} from './session';
import { percentile } from './stats';
import { searchSustainedRate, withCooldown } from './step-search';

/** One setting of the services a fixed-rate or scaling measurement runs. */
export interface Variant {
  name: string;
  /** What it changes, for the document. */
  what: string;
  telemetry: 'on' | 'off';
  env?: Record<string, string>;
  instances?: StackOptions['instances'];
}

const without = (names: string, what: string): Variant => ({
  name: `on, without ${names.replaceAll(',', ' and ')}`,
  what,
  telemetry: 'on',
  env: { OTEL_NODE_DISABLED_INSTRUMENTATIONS: names },
});

/**
 * Section 6 of the benchmark: the tax arm's telemetry with one part taken away at a time. What
 * an arm saves against `on` is what that part costs.
 */
export const INSTRUMENTATION_VARIANTS: readonly Variant[] = [
  { name: 'off', what: 'the SDK not loaded', telemetry: 'off' },
  { name: 'on', what: 'as the tax arm: everything on, sampling 100 %', telemetry: 'on' },
  {
    name: "on, without the SDK's own metrics",
    what: 'OTEL_NODE_EXPERIMENTAL_SDK_METRICS=false (only the benchmark turns them on)',
    telemetry: 'on',
    env: { OTEL_NODE_EXPERIMENTAL_SDK_METRICS: 'false' },
  },
  {
    name: 'on, no log export',
    what: 'OTEL_LOGS_EXPORTER=none: log records still made by the pino bridge, not exported',
    telemetry: 'on',
    env: { OTEL_LOGS_EXPORTER: 'none' },
  },
  {
    name: 'on, metrics every 5 s',
    what: 'OTEL_METRIC_EXPORT_INTERVAL=5000, as the tax arm exported them until the numbers below',
    telemetry: 'on',
    env: { OTEL_METRIC_EXPORT_INTERVAL: '5000' },
  },
  {
    name: 'on, no metrics',
    what: 'OTEL_METRICS_EXPORTER=none: no meter provider, so no metric is recorded or exported',
    telemetry: 'on',
    env: { OTEL_METRICS_EXPORTER: 'none' },
  },
  {
    name: 'on, nothing sampled',
    what: 'OTEL_TRACES_SAMPLER=always_off: instrumentations run, spans are not recorded',
    telemetry: 'on',
    env: { OTEL_TRACES_SAMPLER: 'always_off' },
  },
  {
    name: 'on, no instrumentations',
    what: 'OTEL_NODE_ENABLED_INSTRUMENTATIONS=none: the SDK, its context manager and exporters, and no library patched',
    telemetry: 'on',
    env: { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'none' },
  },
  without('http,undici', 'the HTTP server and client spans, and context on HTTP calls'),
  without('express,fastify', 'route names (the SERVER spans stay, named by method only)'),
  without('pg', 'a span per SQL statement'),
  without('ioredis', 'a span per Redis command'),
  without('kafkajs', 'Kafka send and process spans, and context in message headers'),
  without('pino', 'trace ids in log lines and the log bridge (no log export)'),
  without('runtime-node', 'event loop, GC and heap metrics'),
];

/** The short profile's variants: enough to prove every kind of arm runs. */
export const SMOKE_INSTRUMENTATION_VARIANTS: readonly Variant[] = INSTRUMENTATION_VARIANTS.filter(
  (variant) => ['off', 'on, without pino'].includes(variant.name),
);

export interface FixedRateResult {
  variant: string;
  round: number;
  instances: Partial<Record<ServiceName, number>>;
  measurement: Measurement;
  /** Per consumer group: lag samples during the measurement, p99 and last. */
  lag: Record<string, { p99: number; last: number }>;
  peakRssBytes: Partial<Record<ServiceName, number>>;
}

export interface SustainedResult {
  variant: string;
  round: number;
  instances: Partial<Record<ServiceName, number>>;
  sustained: number;
  steps: { rate: number; p99Ms: number; failedShare: number }[];
  peak: Measurement;
}

export interface InstrumentationExperiment {
  startedAt: string;
  durationS: number;
  rate: number;
  measureSeconds: number;
  variants: Variant[];
  results: FixedRateResult[];
}

export interface ScalingExperiment {
  startedAt: string;
  durationS: number;
  consumers: {
    rate: number;
    measureSeconds: number;
    variants: Variant[];
    results: FixedRateResult[];
  };
  orders: { variants: Variant[]; results: SustainedResult[] };
}

/** Warm-up, then `seconds` at `rate` while cost, events and lag are counted. */
async function fixedRate(
  variant: Variant,
  key: string,
  round: number,
  rate: number,
  seconds: number,
  context: BenchContext,
): Promise<FixedRateResult> {
  const id = `bench-${key}-${round}`;
  return withBenchSession(
    { id, telemetry: variant.telemetry, env: variant.env, instances: variant.instances },
    context,
    async (session) => {
      const { warmup } = context.profile;
      await session.load(Math.min(warmup.rate, rate), warmup.seconds);
      const measurement = await session.measure(rate, seconds);
      const lag: FixedRateResult['lag'] = {};
      for (const group of session.groups) {
        const lags = session
          .lagSamples()
          .filter((s) => s.t >= measurement.lagFrom && s.t <= measurement.lagTo)
          .map((s) => s.groups[group]?.lag ?? Number.NaN)
          .filter(Number.isFinite);
        lag[group] = { p99: percentile(lags, 0.99), last: lags.at(-1) ?? Number.NaN };
      }
      return {
        variant: variant.name,
        round,
        instances: { ...variant.instances },
        measurement,
        lag,
        peakRssBytes: session.peakRssBytes(),
      };
    },
  );
}

/**
 * The variants with their indexes in the order a round runs them: as listed in odd rounds,
 * reversed in even ones, so that no variant is always measured right after the same one (a
 * session's clean-up, e.g. the dropped database and topic, can still load the next).
 */
export function roundOrder<T>(variants: readonly T[], round: number): [number, T][] {
  const indexed = [...variants.entries()];
  return round % 2 === 1 ? indexed : indexed.reverse();
}

/** An experiment that ran its variants at one rate since `started`, with its results. */
function fixedRateExperiment<R>(
  started: number,
  settings: { rate: number; measureSeconds: number },
  variants: Variant[],
  results: R[],
) {
  return {
    startedAt: new Date(started).toISOString(),
    durationS: (Date.now() - started) / 1000,
    rate: settings.rate,
    measureSeconds: settings.measureSeconds,
    variants,
    results,
  };
}

/** Every variant once per round (see roundOrder), rounds one after another. */
export async function runInstrumentationExperiment(
  context: BenchContext,
): Promise<InstrumentationExperiment> {
  const { profile, log } = context;
  const settings = profile.instrumentation;
  const variants = [
    ...(profile.name === 'full' ? INSTRUMENTATION_VARIANTS : SMOKE_INSTRUMENTATION_VARIANTS),
  ];
  const started = Date.now();
  const results: FixedRateResult[] = [];
  for (let round = 1; round <= settings.rounds; round++) {
    for (const [index, variant] of roundOrder(variants, round)) {
      // Short: the id ends up in customer ids, which allow 64 characters.
      const result = await fixedRate(
        variant,
        `i${index}`,
        round,
        settings.rate,
        settings.measureSeconds,
        context,
      );
      log(
        `  instrumentation ${round} ${variant.name}: services ${servicesCpu(result.measurement.cpuPerThousand).toFixed(2)} CPU-s / 1000 orders, p99 ${result.measurement.load.p99Ms.toFixed(0)} ms`,
      );
      results.push(result);
    }
  }
  return fixedRateExperiment(started, settings, variants, results);
}

const SERVICE_NAMES: readonly CostedProcess[] = [
  'gateway',
  'order',
  'payment',
  'inventory',
  'notification',
];

/** CPU-seconds per 1 000 orders of the five services together. */
export function servicesCpu(cpu: Partial<Record<CostedProcess, number>>): number {
  return SERVICE_NAMES.reduce((sum, name) => sum + (cpu[name] ?? Number.NaN), 0);
}

/** Consumers that take one message at a time: the shape the issue measured, where they fall behind. */
const ONE_AT_A_TIME = { KAFKA_CONSUMER_CONCURRENCY: '1' };

export function scalingVariants(profile: Profile): { consumers: Variant[]; orders: Variant[] } {
  const consumers: Variant[] = profile.scaling.consumerInstances.map((count) => ({
    name: `${count} consumer instance${count > 1 ? 's' : ''} per group, one message at a time`,
    what: `inventory and notification ×${count}, KAFKA_CONSUMER_CONCURRENCY=1`,
    telemetry: 'on',
    env: ONE_AT_A_TIME,
    instances: { inventory: count, notification: count },
  }));
  // The short profile proves scaling runs; the default's row is for the full one.
  if (profile.name === 'full') {
    consumers.push({
      name: '1 consumer instance per group, 16 messages at once',
      what: 'the default: KAFKA_CONSUMER_CONCURRENCY=16',
      telemetry: 'on',
    });
  }
  const orders: Variant[] = profile.scaling.orderInstances.map((count) => ({
    name: `${count} order instance${count > 1 ? 's' : ''}`,
    what: `order ×${count}${count > 1 ? ' behind a round-robin TCP balancer' : ''}`,
    telemetry: 'on',
    instances: { order: count },
  }));
  return { consumers, orders };
}

/**
 * Section 3: consumers at a fixed order rate with 1…N instances per group, and the sustained
 * order rate with one and with two order instances.
 */
export async function runScalingExperiment(context: BenchContext): Promise<ScalingExperiment> {
  const { profile, log } = context;
  const settings = profile.scaling;
  const variants = scalingVariants(profile);
  const started = Date.now();
  const consumers: FixedRateResult[] = [];
  for (const [index, variant] of variants.consumers.entries()) {
    const result = await fixedRate(
      variant,
      `c${index}`,
      1,
      settings.consumerRate,
      settings.consumerSeconds,
      context,
    );
    const processed = Object.entries(result.measurement.eventsPerSecond.groups)
      .map(([group, rate]) => `${group.split('.').at(-1)} ${rate.toFixed(1)}/s`)
      .join(', ');
    log(
      `  scaling ${variant.name}: produced ${result.measurement.eventsPerSecond.produced.toFixed(1)}/s, processed ${processed}`,
    );
    consumers.push(result);
  }
  const orders: SustainedResult[] = [];
  for (const [index, variant] of variants.orders.entries()) {
    const id = `bench-o${index}`;
    orders.push(
      await withBenchSession(
        { id, telemetry: variant.telemetry, env: variant.env, instances: variant.instances },
        context,
        async (session) => {
          await session.load(profile.warmup.rate, profile.warmup.seconds);
          const search = await searchSustainedRate(
            profile.search,
            withCooldown(profile.search, profile.cooldownSeconds * 1000, async (rate) => {
              const step = await session.load(rate, profile.stepSeconds);
              log(`  scaling ${variant.name}: ${rate}/s → p99 ${step.p99Ms.toFixed(0)} ms`);
              return { rate, p99Ms: step.p99Ms, failedShare: step.failedShare };
            }),
          );
          const peakRate = search.sustained || Math.min(...search.steps.map((s) => s.rate));
          return {
            variant: variant.name,
            round: 1,
            instances: { ...variant.instances },
            sustained: search.sustained,
            steps: search.steps,
            peak: await session.measure(peakRate, profile.measureSeconds),
          };
        },
      ),
    );
  }
  return {
    startedAt: new Date(started).toISOString(),
    durationS: (Date.now() - started) / 1000,
    consumers: {
      rate: settings.consumerRate,
      measureSeconds: settings.consumerSeconds,
      variants: variants.consumers,
      results: consumers,
    },
    orders: { variants: variants.orders, results: orders },
  };
}

/** Where the CPU goes: the tax arm's two ends and the SDK with nothing patched, profiled. */
export const PROFILE_VARIANTS: readonly Variant[] = INSTRUMENTATION_VARIANTS.filter((variant) =>
  ['off', 'on', 'on, no instrumentations'].includes(variant.name),
);

export interface ProfiledResult {
  variant: string;
  round: number;
  measurement: Measurement;
  /** Per service: the profiler's samples during the measurement, by origin of the code. */
  profiled: Partial<Record<ServiceName, Record<string, number>>>;
  /** Per service: the samples in OpenTelemetry's packages, by `<package> <function>`. */
  functions?: Partial<Record<ServiceName, Record<string, number>>>;
}

export interface ProfileExperiment {
  startedAt: string;
  durationS: number;
  rate: number;
  measureSeconds: number;
  variants: Variant[];
  results: ProfiledResult[];
}

const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

/**
 * Each variant with every service under V8's sampling profiler (`node --cpu-prof`); the samples
 * taken during the measurement, attributed to the package or part of Node.js whose code was
 * running, say where the CPU the measurement counts was spent.
 */
export async function runProfileExperiment(context: BenchContext): Promise<ProfileExperiment> {
  const { profile, log } = context;
  const settings = profile.cpuProfile;
  const started = Date.now();
  const results: ProfiledResult[] = [];
  for (let round = 1; round <= settings.rounds; round++) {
    for (const [index, variant] of PROFILE_VARIANTS.entries()) {
      const dir = join(context.dir, `cpu-profiles-${round}-${index}`);
      const result = await withBenchSession(
        {
          id: `bench-p${index}-${round}`,
          telemetry: variant.telemetry,
          env: { ...variant.env, NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}` },
        },
        context,
        async (session) => {
          await session.load(Math.min(profile.warmup.rate, settings.rate), profile.warmup.seconds);
          const from = monotonicMicros();
          const measurement = await session.measure(settings.rate, settings.measureSeconds);
          const to = monotonicMicros();
          const pids = session.servicePids();
          // A process writes its profile as it exits.
          await session.stopServices();
          const profiles = await readProfiles(dir);
          const profiled: ProfiledResult['profiled'] = {};
          const functions: NonNullable<ProfiledResult['functions']> = {};
          for (const name of SERVICES) {
            const found = pids[name].map((pid) => profiles.get(pid));
            if (found.some((p) => !p)) continue;
            profiled[name] = addUp(
              (found as CpuProfile[]).map((p) => samplesByOrigin(p, from, to)),
            );
            functions[name] = addUp(
              (found as CpuProfile[]).map((p) => openTelemetrySamplesByFunction(p, from, to)),
            );
          }
          return { variant: variant.name, round, measurement, profiled, functions };
        },
      );
      await rm(dir, { recursive: true, force: true });
      const missing = SERVICES.filter((name) => !result.profiled[name]);
      log(
        `  profile ${round} ${variant.name}: services ${servicesCpu(result.measurement.cpuPerThousand).toFixed(2)} CPU-s / 1000 orders` +
          (missing.length ? `; no profile from ${missing.join(', ')}` : ''),
      );
      results.push(result);
    }
  }
  return fixedRateExperiment(started, settings, [...PROFILE_VARIANTS], results);
}

function addUp(counts: readonly Record<string, number>[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const each of counts) {
    for (const [key, n] of Object.entries(each)) sum[key] = (sum[key] ?? 0) + n;
  }
  return sum;
}

async function readProfiles(dir: string): Promise<Map<number, CpuProfile>> {
  const profiles = new Map<number, CpuProfile>();
  const files = await readdir(dir).catch(() => [] as string[]);
  for (const file of files) {
    const pid = profilePid(file);
    if (pid !== undefined) {
      profiles.set(pid, JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile);
    }
  }
  return profiles;
}
