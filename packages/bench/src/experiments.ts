import type { ServiceName, StackOptions } from '@mesh/e2e';
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

/** Every variant once per round, in the same order each round, rounds one after another. */
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
    for (const [index, variant] of variants.entries()) {
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
  return {
    startedAt: new Date(started).toISOString(),
    durationS: (Date.now() - started) / 1000,
    rate: settings.rate,
    measureSeconds: settings.measureSeconds,
    variants,
    results,
  };
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
