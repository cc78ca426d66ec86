import { randomUUID } from 'node:crypto';
import type { ReserveStockRequest } from '@mesh/contracts';
import type { Faults, Redis } from '@mesh/service-kit';
import { createPool, createRedis, migrate, type Pool } from '@mesh/service-kit';
import { createLogger, type Logger } from '@mesh/telemetry';
import type { InMemoryTelemetry } from '@mesh/telemetry-testing';
import { startPostgres, startRedis } from '@mesh/testkit';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../src/app';
import type { Inventory } from '../src/domain/inventory';
import { createInventory, DB_SCHEMA, MIGRATIONS_DIR } from '../src/inventory';

export const logger: Logger = createLogger({ level: 'silent' });

export interface TestInventory {
  app: FastifyInstance;
  /** The service's own pool: search_path is the inventory schema. */
  pool: Pool;
  /** The service's Redis client: keys are relative to this test's prefix. */
  redis: Redis;
  inventory: Inventory;
  stop(): Promise<void>;
}

/**
 * The inventory service on a fresh, migrated (and so seeded) database of its own and a Redis
 * key prefix of its own, built exactly as main.ts builds it.
 */
export async function startInventory(
  options: {
    redisUrl?: string;
    reservationTtlMs?: number;
    faults?: Faults;
    random?: () => number;
  } = {},
): Promise<TestInventory> {
  const postgres = await startPostgres();
  const redisServer = await startRedis();
  await migrate({ databaseUrl: postgres.url, schema: DB_SCHEMA, dir: MIGRATIONS_DIR, logger });
  const pool = createPool(postgres.url, {
    applicationName: 'inventory-test',
    schema: DB_SCHEMA,
    logger,
  });
  const redis = createRedis(options.redisUrl ?? redisServer.url, {
    name: 'product cache',
    keyPrefix: redisServer.keyPrefix,
    logger,
  });
  // Commands fail fast while disconnected (no offline queue), so wait for a real Redis to be
  // ready; an unreachable one is never ready, which is what its test is about.
  if (!options.redisUrl) await new Promise((resolve) => redis.once('ready', resolve));
  const inventory = createInventory({
    pool,
    redis,
    logger,
    cacheTtlSeconds: 60,
    reservationTtlMs: options.reservationTtlMs ?? 900_000,
    faults: options.faults,
    random: options.random,
  });
  const app = buildApp({ inventory, redis });
  await app.ready();
  return {
    app,
    pool,
    redis,
    inventory,
    async stop() {
      await app.close();
      inventory.metrics.stop();
      if (!options.redisUrl) {
        const keys = await redis.keys('*');
        const prefix = redisServer.keyPrefix;
        // KEYS answers with the prefix included; DEL would add it a second time.
        if (keys.length > 0) await redis.del(...keys.map((key) => key.slice(prefix.length)));
      }
      redis.disconnect();
      await pool.end();
      await postgres.stop();
      await redisServer.stop();
    },
  };
}

export function reserve(
  app: FastifyInstance,
  body: ReserveStockRequest,
): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/reservations', payload: body });
}

export function newOrderId(): string {
  return randomUUID();
}

export async function setStock(pool: Pool, sku: string, stock: number): Promise<void> {
  await pool.query('UPDATE products SET stock = $2 WHERE sku = $1', [sku, stock]);
}

export async function stockOf(pool: Pool, sku: string): Promise<number | undefined> {
  const { rows } = await pool.query<{ stock: number }>(
    'SELECT stock FROM products WHERE sku = $1',
    [sku],
  );
  return rows[0]?.stock;
}

export async function reservationStatus(pool: Pool, orderId: string): Promise<string | undefined> {
  const { rows } = await pool.query<{ status: string }>(
    'SELECT status FROM reservations WHERE order_id = $1',
    [orderId],
  );
  return rows[0]?.status;
}

export async function countRows(
  pool: Pool,
  table: 'reservations' | 'reservation_items' | 'processed_messages',
) {
  const { rows } = await pool.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM ${table}`,
  );
  return rows[0]?.count ?? 0;
}

/** Asserts an RFC 9457 problem with the given status and stable code, and returns it. */
export function expectProblem(response: LightMyRequestResponse, status: number, code: string) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = response.json<{ code: string; status: number; type: string; detail?: string }>();
  expect(problem).toMatchObject({ status, code, type: `urn:mesh:problem:${code}` });
  return problem;
}

type Collected = Awaited<ReturnType<InMemoryTelemetry['collectMetrics']>>;

/** The data points of one metric as [attributes, value] pairs. */
export function pointsOf(collected: Collected, name: string) {
  return collected
    .flatMap((resource) => resource.scopeMetrics)
    .flatMap((scope) => scope.metrics)
    .filter((metric) => metric.descriptor.name === name)
    .flatMap((metric) =>
      metric.dataPoints.map((point) => ({ attributes: point.attributes, value: point.value })),
    );
}

export function valueFor(points: ReturnType<typeof pointsOf>, key: string, value: string) {
  return points.find((point) => point.attributes[key] === value)?.value;
}
