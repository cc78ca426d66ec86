import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { ChargeRequest, Payment } from '@mesh/contracts';
import { createPool, createRedis, migrate, type Pool } from '@mesh/service-kit';
import { createLogger, type Logger } from '@mesh/telemetry';
import { startPostgres, startRedis } from '@mesh/testkit';
import { buildApp } from '../../src/app';
import {
  type PaymentProcessor,
  type ProcessorResult,
  SimulatedPaymentProcessor,
  type SimulatedProcessorSettings,
} from '../../src/processor/payment-processor';

export const silentLogger: Logger = createLogger({ level: 'silent' });

/** Wraps a processor to record every charge it was asked for. */
export class CountingProcessor implements PaymentProcessor {
  readonly calls: ChargeRequest[] = [];

  constructor(private readonly inner: PaymentProcessor) {}

  charge(request: ChargeRequest): Promise<ProcessorResult> {
    this.calls.push(request);
    return this.inner.charge(request);
  }

  callsFor(orderId: string): number {
    return this.calls.filter((call) => call.orderId === orderId).length;
  }
}

/** The simulated processor, quick and approving everything unless told otherwise. */
export function countingProcessor(settings: Partial<SimulatedProcessorSettings> = {}) {
  return new CountingProcessor(
    new SimulatedPaymentProcessor({ latencyMs: 5, jitterMs: 5, declineRate: 0, ...settings }),
  );
}

export function chargeRequest(overrides: Partial<ChargeRequest> = {}): ChargeRequest {
  return {
    orderId: randomUUID(),
    customerId: 'customer-42',
    amountCents: 2_500,
    currency: 'EUR',
    ...overrides,
  };
}

export interface PaymentRow {
  id: string;
  order_id: string;
  customer_id: string;
  amount_cents: string;
  status: string;
  decline_reason: string | null;
}

export interface PaymentTestApp {
  base: string;
  pool: Pool;
  /** POSTs JSON (or the raw text given). */
  post(path: string, body?: unknown): Promise<Response>;
  charge(request: ChargeRequest): Promise<{ status: number; body: Payment }>;
  rowsOf(orderId: string): Promise<PaymentRow[]>;
  countRows(): Promise<number>;
  /** Whether the app's Redis lock for the order is taken right now. */
  lockHeld(orderId: string): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * The payment app on a free port, over a fresh, migrated PostgreSQL database and the test Redis
 * (or the Redis at `redisUrl`, e.g. one that is not there).
 */
export async function startPaymentApp(options: {
  processor: PaymentProcessor;
  redisUrl?: string;
  lockTtlMs?: number;
}): Promise<PaymentTestApp> {
  const postgres = await startPostgres();
  const testRedis = await startRedis();
  const logger = silentLogger;
  await migrate({
    databaseUrl: postgres.url,
    schema: 'payments',
    dir: join(__dirname, '..', '..', 'migrations'),
    logger,
  });
  const pool = createPool(postgres.url, {
    applicationName: 'payment-test',
    schema: 'payments',
    logger,
  });
  const redis = createRedis(options.redisUrl ?? testRedis.url, {
    name: 'payment lock',
    keyPrefix: testRedis.keyPrefix,
    logger,
  });
  // Commands fail fast instead of queueing, so the tests wait until the lock can be used.
  if (!options.redisUrl && redis.status !== 'ready') await once(redis, 'ready');

  const app = buildApp({
    pool,
    redis,
    processor: options.processor,
    logger,
    lockTtlMs: options.lockTtlMs ?? 10_000,
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const post = (path: string, body?: unknown) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });

  return {
    base,
    pool,
    post,
    async charge(request) {
      const response = await post('/payments', request);
      return { status: response.status, body: (await response.json()) as Payment };
    },
    async rowsOf(orderId) {
      const { rows } = await pool.query<PaymentRow>('SELECT * FROM payments WHERE order_id = $1', [
        orderId,
      ]);
      return rows;
    },
    async countRows() {
      const { rows } = await pool.query<{ count: string }>('SELECT count(*) FROM payments');
      return Number(rows[0]?.count);
    },
    async lockHeld(orderId) {
      return (await redis.exists(`lock:${orderId}`)) === 1;
    },
    async stop() {
      await new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      });
      redis.disconnect();
      await pool.end();
      await postgres.stop();
      await testRedis.stop();
    },
  };
}

/** Asserts an RFC 9457 problem with the given status and code, and returns it. */
export async function expectProblem(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = (await response.json()) as Record<string, unknown>;
  expect(problem).toMatchObject({ status, code, type: `urn:mesh:problem:${code}` });
  return problem;
}
