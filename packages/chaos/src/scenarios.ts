import type { ServiceName } from '@mesh/e2e';
import Redis from 'ioredis';
import { type ChaosEnvironment, INVENTORY_TIMEOUT_MS, PAYMENT_TIMEOUT_MS } from './environment';

/** What a fault did, for the checker. */
export interface FaultRecord {
  /** When a backing service was down (epoch ms). */
  outages: { from: number; to: number }[];
  /** Services the fault killed on purpose (and started again). */
  killed: ServiceName[];
  /** ms from the heal until the gateway's /readyz answered 200, when there was an outage. */
  readyAfterHealMs?: number;
}

export interface Scenario {
  name: string;
  /** One line for the report. */
  what: string;
  /** Runs while the load runs: waits, breaks something, heals it. */
  inject(env: ChaosEnvironment, timing: FaultTiming): Promise<FaultRecord>;
}

export interface FaultTiming {
  /** When, after the load started, the fault begins. */
  startAfterMs: number;
  /** Scales the outage lengths (1 = the documented lengths; the short profile keeps 1). */
  scale: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls the gateway's readiness after a heal; how long it took (capped at 60 s). */
async function gatewayReadyAfter(env: ChaosEnvironment, healedAt: number): Promise<number> {
  const deadline = healedAt + 60_000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${env.stack.gatewayUrl}/readyz`, {
        signal: AbortSignal.timeout(1_000),
      });
      if (response.ok) return Date.now() - healedAt;
    } catch {
      // not ready
    }
    await sleep(200);
  }
  return Date.now() - healedAt;
}

/** A backing service down for a while: halt, wait, resume, and time the gateway's recovery. */
function outage(
  name: string,
  what: string,
  downMs: number,
  halt: (env: ChaosEnvironment) => Promise<void>,
  resume: (env: ChaosEnvironment) => Promise<void>,
): Scenario {
  return {
    name,
    what,
    async inject(env, timing) {
      await sleep(timing.startAfterMs);
      const from = Date.now();
      await halt(env);
      await sleep(downMs * timing.scale);
      await resume(env);
      const to = Date.now();
      return {
        outages: [{ from, to }],
        killed: [],
        readyAfterHealMs: await gatewayReadyAfter(env, to),
      };
    },
  };
}

function kill(service: ServiceName, what: string): Scenario {
  return {
    name: `kill-${service}`,
    what,
    async inject(env, timing) {
      await sleep(timing.startAfterMs);
      await env.stack.services[service].stop('SIGKILL');
      await sleep(1_000);
      await env.stack.services[service].start();
      return { outages: [], killed: [service] };
    },
  };
}

function slowHop(target: 'inventory' | 'payment', limitMs: number): Scenario {
  return {
    name: `slow-${target}`,
    what: `${target} answers 300 ms under, then 500 ms over, order's ${limitMs} ms limit`,
    async inject(env, timing) {
      await sleep(timing.startAfterMs);
      const hop = env.hops[target];
      hop.delayMs = limitMs - 300;
      await sleep(6_000 * timing.scale);
      hop.delayMs = limitMs + 500;
      await sleep(6_000 * timing.scale);
      hop.delayMs = 0;
      return { outages: [], killed: [] };
    },
  };
}

/** Fills Redis up to its `maxmemory` so every write fails with OOM, then lifts the limit. */
const redisFull: Scenario = {
  name: 'redis-full',
  what: 'Redis at its maxmemory for 10 s: writes refused',
  async inject(env, timing) {
    await sleep(timing.startAfterMs);
    const redis = new Redis(env.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      const info = await redis.info('memory');
      const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
      // Just above what is used now: the next writes of any size hit the limit.
      await redis.config('SET', 'maxmemory', String(used + 1024));
      await redis.config('SET', 'maxmemory-policy', 'noeviction');
      await sleep(10_000 * timing.scale);
      await redis.config('SET', 'maxmemory', '0');
    } finally {
      redis.disconnect();
    }
    return { outages: [], killed: [] };
  },
};

function collector(mode: 'dead' | 'slow'): Scenario {
  return {
    name: `collector-${mode}`,
    what:
      mode === 'dead'
        ? 'the OTLP endpoint refuses connections for 10 s'
        : 'the OTLP endpoint takes 30 s to answer, for 10 s',
    async inject(env, timing) {
      await sleep(timing.startAfterMs);
      await env.collector.setMode(mode);
      await sleep(10_000 * timing.scale);
      await env.collector.setMode('accept');
      return { outages: [], killed: [] };
    },
  };
}

/** Every scenario of the suite, in the order they run. */
export const SCENARIOS: Scenario[] = [
  outage(
    'postgres-stop',
    'PostgreSQL stopped for 10 s',
    10_000,
    (env) => env.postgres.halt(),
    (env) => env.postgres.resume(),
  ),
  {
    name: 'postgres-restart',
    what: 'every PostgreSQL connection killed (pg_terminate_backend), then a restart',
    async inject(env, timing) {
      await sleep(timing.startAfterMs);
      const from = Date.now();
      await env.postgres.terminateConnections();
      await sleep(2_000);
      await env.postgres.halt();
      await env.postgres.resume();
      const to = Date.now();
      return {
        outages: [{ from, to }],
        killed: [],
        readyAfterHealMs: await gatewayReadyAfter(env, to),
      };
    },
  },
  outage(
    'redis-stop',
    'Redis stopped for 10 s',
    10_000,
    (env) => env.redis.halt(),
    (env) => env.redis.resume(),
  ),
  redisFull,
  {
    name: 'kafka-stop',
    what: 'the Kafka broker stopped for 15 s',
    async inject(env, timing) {
      await sleep(timing.startAfterMs);
      const from = Date.now();
      await env.kafka.restart({ downForMs: 15_000 * timing.scale });
      return { outages: [{ from, to: Date.now() }], killed: [] };
    },
  },
  collector('dead'),
  collector('slow'),
  kill('order', 'order SIGKILLed mid-placement and mid-publish, then started again'),
  kill('notification', 'notification SIGKILLed mid-message, then started again'),
  kill('inventory', 'inventory SIGKILLed mid-reservation and mid-message, then started again'),
  kill('payment', 'payment SIGKILLed mid-charge, then started again'),
  kill('gateway', 'gateway SIGKILLed with requests in flight, then started again'),
  slowHop('inventory', INVENTORY_TIMEOUT_MS),
  slowHop('payment', PAYMENT_TIMEOUT_MS),
];
