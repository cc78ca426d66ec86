import { API_KEY, SERVICES, type ServiceName, startStack } from '@mesh/e2e';
import { startPostgres, startRedis, uniqueName } from '@mesh/testkit';
import type { Sample } from '@mesh/workshop';
import { Pool } from 'pg';
import type { BenchCollector } from './collector';
import { type LagSample, startLagSampler } from './lag';
import { allProcStats, readPeakRss, readProcStat, treeCpuTicks } from './proc';
import type { Profile } from './profiles';
import { type SearchResult, searchSustainedRate } from './step-search';
import { attack, type LoadSummary } from './vegeta';

export type ArmName = 'on' | 'off';

/** Processes whose CPU a measurement counts, besides the five services. */
export const OTHER_PROCESSES = ['postgres', 'kafka', 'collector'] as const;
export type CostedProcess = ServiceName | (typeof OTHER_PROCESSES)[number];

export interface SpanDelivery {
  /** Spans the collector's OTLP receiver accepted from this arm's services. */
  accepted: number;
  refused: number;
  /** Spans the services' batch processors finished with (exported, failed or dropped). */
  ended: number;
  /** Of those, dropped because the queue was full. */
  dropped: number;
  /** Of those, whose export failed. */
  exportFailed: number;
}

export interface ArmResult {
  arm: ArmName;
  pair: number;
  search: SearchResult;
  /** Every search step's full summary, in the order run. */
  steps: LoadSummary[];
  half: LoadSummary;
  peak: LoadSummary;
  /** CPU-seconds per 1 000 accepted orders during the peak measurement. */
  cpuPerThousand: Partial<Record<CostedProcess, number>>;
  peakRssBytes: Partial<Record<ServiceName, number>>;
  /** Events per second each group processed and the topic received, during the peak measurement. */
  eventsPerSecond: { produced: number; groups: Record<string, number> };
  /** Lag samples of the whole arm, with the peak measurement's start and end (seconds). */
  lag: { samples: LagSample[]; peakFrom: number; peakTo: number; groups: string[] };
  /** Only for the telemetry-on arm. */
  spans?: SpanDelivery;
}

export interface ArmContext {
  profile: Profile;
  collector: BenchCollector;
  kafkaBrokers: string[];
  kafkaPid: number | undefined;
  /** Where vegeta's targets and results go. */
  dir: string;
  log(line: string): void;
  /** Registers what to undo when the run is interrupted; returns how to unregister it. */
  onInterrupt(cleanup: () => Promise<void>): () => void;
}

const TICKS_PER_SECOND = 100;
const STOCK = 100_000_000;

/**
 * One arm: a fresh database and Redis prefix, the five services with the SDK preloaded
 * exporting to the collector (`on`) or not loaded at all (`off`), then warm-up, the step search,
 * half the sustained rate, and the sustained rate again while cost, lag and spans are counted.
 */
export async function runArm(arm: ArmName, pair: number, context: ArmContext): Promise<ArmResult> {
  const { profile, collector, log } = context;
  const id = `bench-${arm}-${pair}`;
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  const kafkaPrefix = `${uniqueName('bench')}.`;
  const telemetryEnv = (name: ServiceName): Record<string, string> =>
    arm === 'on'
      ? {
          // SDK defaults for traces; metrics every 5 s so the count of ended spans is fresh.
          OTEL_BSP_SCHEDULE_DELAY: '5000',
          OTEL_BLRP_SCHEDULE_DELAY: '1000',
          OTEL_METRIC_EXPORT_INTERVAL: '5000',
          // The SDK's own metrics: spans processed and dropped by the batch processor.
          OTEL_NODE_EXPERIMENTAL_SDK_METRICS: 'true',
          OTEL_RESOURCE_ATTRIBUTES: `deployment.environment.name=bench,service.instance.id=${id}-${name}`,
        }
      : {};
  const env = Object.fromEntries(
    SERVICES.map((name) => [
      name,
      {
        ...telemetryEnv(name),
        // As in the measurement: the simulated card processor answers at once.
        ...(name === 'payment' ? { PAYMENT_LATENCY_MS: '0', PAYMENT_LATENCY_JITTER_MS: '0' } : {}),
      },
    ]),
  );
  const acceptedBefore = await acceptedSpans(collector);
  const stack = await startStack({
    databaseUrl: postgres.url,
    redisUrl: redis.url,
    redisKeyPrefix: `${redis.keyPrefix}`,
    kafkaBrokers: context.kafkaBrokers,
    kafkaPrefix,
    telemetry: arm === 'on' ? 'preload' : 'none',
    otlpEndpoint: arm === 'on' ? collector.otlpUrl : undefined,
    env,
  });
  const forget = context.onInterrupt(async () => {
    await stack.stop();
    await Promise.allSettled([postgres.stop(), redis.stop()]);
  });
  const db = new Pool({ connectionString: postgres.url, max: 2 });
  db.on('error', () => undefined);
  const groups = ['inventory', 'notification'].map((name) => `${kafkaPrefix}${name}`);
  const lag = await startLagSampler({
    brokers: context.kafkaBrokers,
    topic: `${kafkaPrefix}order-events`,
    groups,
    intervalMs: 1000,
  });
  try {
    // Stock sized for any run: an order that finds no stock is a cheap REJECTED and would
    // flatter every figure.
    const { rows } = await db.query<{ sku: string }>(
      'UPDATE inventory.products SET stock = $1 WHERE sku IN (SELECT sku FROM inventory.products WHERE stock > 0 ORDER BY sku LIMIT 4) RETURNING sku',
      [STOCK],
    );
    const skus = rows.map((row) => row.sku).sort();
    let batch = 0;
    const load = (rate: number, seconds: number) =>
      attack({
        gatewayUrl: stack.gatewayUrl,
        apiKey: API_KEY,
        skus,
        prefix: `${id}-${batch++}`,
        rate,
        durationS: seconds,
        dir: context.dir,
      });

    await load(profile.warmup.rate, profile.warmup.seconds);
    const steps: LoadSummary[] = [];
    const search = await searchSustainedRate(profile.search, async (rate) => {
      const step = await load(rate, profile.stepSeconds);
      steps.push(step);
      log(
        `  ${arm} ${pair}: ${rate}/s → p99 ${step.p99Ms.toFixed(0)} ms, failed ${(step.failedShare * 100).toFixed(1)} %`,
      );
      return { rate, p99Ms: step.p99Ms, failedShare: step.failedShare };
    });
    // Nothing sustained: the gentlest rate tried still shows cost, lag and spans under load.
    const peakRate = search.sustained || Math.min(...search.steps.map((step) => step.rate));
    const half = await load(Math.max(1, Math.round(peakRate / 2)), profile.measureSeconds);

    const pgPids = await backendPids(db, postgres.url);
    const pids = (): Record<CostedProcess, number[]> => ({
      ...(Object.fromEntries(
        SERVICES.map((name) => [name, [stack.services[name].pid ?? -1]]),
      ) as Record<ServiceName, number[]>),
      postgres: pgPids,
      kafka: context.kafkaPid ? [context.kafkaPid] : [],
      collector: collector.pid ? [collector.pid] : [],
    });
    const before = cpuTicks(pids());
    const lagFrom = lag.samples().at(-1)?.t ?? 0;
    const peak = await load(peakRate, profile.measureSeconds);
    const lagTo = lag.samples().at(-1)?.t ?? 0;
    const after = cpuTicks({ ...pids(), postgres: await backendPids(db, postgres.url) });
    const cpuPerThousand: Partial<Record<CostedProcess, number>> = {};
    for (const [name, ticks] of Object.entries(after) as [CostedProcess, Map<number, number>][]) {
      let used = 0;
      for (const [pid, end] of ticks) used += end - (before[name]?.get(pid) ?? 0);
      cpuPerThousand[name] = (used / TICKS_PER_SECOND / Math.max(1, peak.accepted)) * 1000;
    }
    const peakRssBytes = Object.fromEntries(
      SERVICES.map((name) => [name, readPeakRss(stack.services[name].pid ?? -1)]),
    );

    await new Promise((resolve) => setTimeout(resolve, profile.settleSeconds * 1000));
    const spans = arm === 'on' ? await spanDelivery(collector, id, acceptedBefore) : undefined;
    const samples = [...lag.samples()];
    return {
      arm,
      pair,
      search,
      steps,
      half,
      peak,
      cpuPerThousand,
      peakRssBytes,
      eventsPerSecond: eventRates(samples, lagFrom, lagTo, groups),
      lag: { samples, peakFrom: lagFrom, peakTo: lagTo, groups },
      spans,
    };
  } finally {
    await lag.stop();
    await stack.stop();
    await db.end();
    await Promise.allSettled([postgres.stop(), redis.stop()]);
    forget();
  }
}

async function backendPids(db: Pool, url: string): Promise<number[]> {
  const database = new URL(url).pathname.slice(1);
  const { rows } = await db.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [database],
  );
  return rows.map((row) => row.pid);
}

function cpuTicks(
  pids: Record<CostedProcess, number[]>,
): Record<CostedProcess, Map<number, number>> {
  const stats = allProcStats();
  return Object.fromEntries(
    Object.entries(pids).map(([name, list]) => [
      name,
      new Map(
        list
          .filter((pid) => readProcStat(pid))
          .map((pid) => [pid, treeCpuTicks(pid, stats)] as const)
          .filter(([, ticks]) => Number.isFinite(ticks)),
      ),
    ]),
  ) as Record<CostedProcess, Map<number, number>>;
}

/** Events per second between two sample times: produced onto the topic and processed per group. */
export function eventRates(
  samples: readonly LagSample[],
  from: number,
  to: number,
  groups: readonly string[],
): ArmResult['eventsPerSecond'] {
  const first = samples.find((s) => s.t >= from);
  const last = [...samples].reverse().find((s) => s.t <= to);
  if (!first || !last || last.t <= first.t) {
    return { produced: Number.NaN, groups: Object.fromEntries(groups.map((g) => [g, Number.NaN])) };
  }
  const seconds = last.t - first.t;
  return {
    produced: (last.produced - first.produced) / seconds,
    groups: Object.fromEntries(
      groups.map((g) => [
        g,
        ((last.groups[g]?.committed ?? 0) - (first.groups[g]?.committed ?? 0)) / seconds,
      ]),
    ),
  };
}

async function acceptedSpans(collector: BenchCollector): Promise<number> {
  const own = await collector.ownMetrics();
  return own
    .filter((s) => s.name.startsWith('otelcol_receiver_accepted_spans'))
    .reduce((total, s) => total + s.value, 0);
}

async function spanDelivery(
  collector: BenchCollector,
  id: string,
  acceptedBefore: number,
): Promise<SpanDelivery> {
  const own = await collector.ownMetrics();
  const exported = (await collector.exportedMetrics()).filter((s: Sample) =>
    s.labels.instance?.startsWith(`${id}-`),
  );
  const processed = exported.filter((s) => s.name.startsWith('otel_sdk_processor_span_processed'));
  const total = (samples: Sample[]) => samples.reduce((sum, s) => sum + s.value, 0);
  return {
    accepted:
      total(own.filter((s) => s.name.startsWith('otelcol_receiver_accepted_spans'))) -
      acceptedBefore,
    refused: total(own.filter((s) => s.name.startsWith('otelcol_receiver_refused_spans'))),
    ended: total(processed),
    dropped: total(processed.filter((s) => s.labels.error_type === 'queue_full')),
    exportFailed: total(
      processed.filter((s) => s.labels.error_type && s.labels.error_type !== 'queue_full'),
    ),
  };
}
