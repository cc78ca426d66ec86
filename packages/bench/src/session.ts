import { API_KEY, SERVICES, type ServiceName, type StackOptions, startStack } from '@mesh/e2e';
import { startPostgres, startRedis, uniqueName } from '@mesh/testkit';
import { Pool } from 'pg';
import type { BenchCollector } from './collector';
import { type LagSample, startLagSampler } from './lag';
import { allProcStats, readPeakRss, readProcStat, treeCpuTicks } from './proc';
import type { Profile } from './profiles';
import { attack, type LoadSummary } from './vegeta';

/** Processes whose CPU a measurement counts, besides the five services. */
export const OTHER_PROCESSES = ['postgres', 'kafka', 'collector'] as const;
export type CostedProcess = ServiceName | (typeof OTHER_PROCESSES)[number];

export interface BenchContext {
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

export interface SessionOptions {
  /** Names this session's vegeta batches and, with telemetry on, its service instances. */
  id: string;
  /** `on`: the telemetry preload, exporting to the collector. `off`: the SDK never loaded. */
  telemetry: 'on' | 'off';
  /** Variables for every service, over the session's defaults. */
  env?: Record<string, string>;
  instances?: StackOptions['instances'];
}

/** Load at one rate while cost and events are counted. */
export interface Measurement {
  load: LoadSummary;
  /** CPU-seconds per 1 000 accepted orders, all instances of a process together. */
  cpuPerThousand: Partial<Record<CostedProcess, number>>;
  /** Events per second each group processed and the topic received. */
  eventsPerSecond: { produced: number; groups: Record<string, number> };
  /** When it started and ended, in the lag samples' seconds. */
  lagFrom: number;
  lagTo: number;
}

export interface BenchSession {
  load(rate: number, seconds: number): Promise<LoadSummary>;
  measure(rate: number, seconds: number): Promise<Measurement>;
  /** The process ids of each service's instances. */
  servicePids(): Record<ServiceName, number[]>;
  /** VmHWM of each service now, the largest over its instances. */
  peakRssBytes(): Partial<Record<ServiceName, number>>;
  lagSamples(): readonly LagSample[];
  readonly groups: readonly string[];
  /** Stops the services gracefully (each flushes its telemetry); the session ends as usual. */
  stopServices(): Promise<void>;
}

const TICKS_PER_SECOND = 100;
const STOCK = 100_000_000;

/**
 * With telemetry on: the SDK's defaults, as compose and the chart run it (spans batched every
 * 5 s, log records every 1 s, metrics every 60 s), plus the SDK's own metrics, which count the
 * spans it ended and dropped. The services flush every signal when they stop, so the counts
 * are complete once the session's services have stopped.
 */
export function telemetryOnEnv(instanceId: string): Record<string, string> {
  return {
    OTEL_NODE_EXPERIMENTAL_SDK_METRICS: 'true',
    OTEL_RESOURCE_ATTRIBUTES: `deployment.environment.name=bench,service.instance.id=${instanceId}`,
  };
}

/**
 * A fresh database and Redis prefix, the five services against them and the shared broker,
 * stock sized for any run and a lag sampler; `use` runs against it, then everything stops.
 */
export async function withBenchSession<T>(
  options: SessionOptions,
  context: BenchContext,
  use: (session: BenchSession) => Promise<T>,
): Promise<T> {
  const { collector } = context;
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  const kafkaPrefix = `${uniqueName('bench')}.`;
  const env = Object.fromEntries(
    SERVICES.map((name) => [
      name,
      {
        ...(options.telemetry === 'on' ? telemetryOnEnv(`${options.id}-${name}`) : {}),
        // As in the measurement: the simulated card processor answers at once.
        ...(name === 'payment' ? { PAYMENT_LATENCY_MS: '0', PAYMENT_LATENCY_JITTER_MS: '0' } : {}),
        ...options.env,
      },
    ]),
  );
  let stack: Awaited<ReturnType<typeof startStack>>;
  try {
    stack = await startStack({
      databaseUrl: postgres.url,
      redisUrl: redis.url,
      redisKeyPrefix: `${redis.keyPrefix}`,
      kafkaBrokers: context.kafkaBrokers,
      kafkaPrefix,
      telemetry: options.telemetry === 'on' ? 'preload' : 'none',
      otlpEndpoint: options.telemetry === 'on' ? collector.otlpUrl : undefined,
      env,
      instances: options.instances,
    });
  } catch (error) {
    await Promise.allSettled([postgres.stop(), redis.stop()]);
    throw error;
  }
  const forget = context.onInterrupt(async () => {
    await stack.stop();
    await Promise.allSettled([postgres.stop(), redis.stop()]);
  });
  const db = new Pool({ connectionString: postgres.url, max: 2 });
  db.on('error', () => undefined);
  const groups = ['inventory', 'notification'].map((name) => `${kafkaPrefix}${name}`);
  let lag: Awaited<ReturnType<typeof startLagSampler>> | undefined;
  try {
    lag = await startLagSampler({
      brokers: context.kafkaBrokers,
      topic: `${kafkaPrefix}order-events`,
      groups,
      intervalMs: 1000,
    });
    const sampler = lag;
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
        prefix: `${options.id}-${batch++}`,
        rate,
        durationS: seconds,
        dir: context.dir,
      });
    const pids = async (): Promise<Record<CostedProcess, number[]>> => ({
      ...(Object.fromEntries(
        SERVICES.map((name) => [name, stack.instances[name].map((instance) => instance.pid ?? -1)]),
      ) as Record<ServiceName, number[]>),
      postgres: await backendPids(db, postgres.url),
      kafka: context.kafkaPid ? [context.kafkaPid] : [],
      collector: collector.pid ? [collector.pid] : [],
    });
    const measure = async (rate: number, seconds: number): Promise<Measurement> => {
      const before = cpuTicks(await pids());
      const lagFrom = sampler.samples().at(-1)?.t ?? 0;
      const summary = await load(rate, seconds);
      const lagTo = sampler.samples().at(-1)?.t ?? 0;
      // Backends opened during the load count from 0.
      const after = cpuTicks(await pids());
      const cpuPerThousand: Partial<Record<CostedProcess, number>> = {};
      for (const [name, ticks] of Object.entries(after) as [CostedProcess, Map<number, number>][]) {
        let used = 0;
        for (const [pid, end] of ticks) used += end - (before[name]?.get(pid) ?? 0);
        cpuPerThousand[name] = (used / TICKS_PER_SECOND / Math.max(1, summary.accepted)) * 1000;
      }
      return {
        load: summary,
        cpuPerThousand,
        eventsPerSecond: eventRates(sampler.samples(), lagFrom, lagTo, groups),
        lagFrom,
        lagTo,
      };
    };
    return await use({
      load,
      measure,
      servicePids: () =>
        Object.fromEntries(
          SERVICES.map((name) => [
            name,
            stack.instances[name].map((instance) => instance.pid ?? -1),
          ]),
        ) as Record<ServiceName, number[]>,
      peakRssBytes: () =>
        Object.fromEntries(
          SERVICES.map((name) => [
            name,
            Math.max(...stack.instances[name].map((instance) => readPeakRss(instance.pid ?? -1))),
          ]),
        ),
      lagSamples: () => sampler.samples(),
      groups,
      stopServices: () => stack.stop(),
    });
  } finally {
    await lag?.stop();
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
): Measurement['eventsPerSecond'] {
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
