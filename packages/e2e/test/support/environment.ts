import { type OtlpCapture, startOtlpCapture } from '@mesh/telemetry/testing';
import { startPostgres, startRedis, type TestPostgres, type TestRedis } from '@mesh/testkit';
import { Pool } from 'pg';
import { API_KEY, type Stack, type StackOptions, startStack } from '../../src';

export interface Environment {
  stack: Stack;
  capture: OtlpCapture;
  /** The test's own database, where every service has its schema. */
  db: Pool;
  stop(): Promise<void>;
}

/** Real PostgreSQL and Redis, an OTLP capture, and the services started against them. */
export async function startEnvironment(env: StackOptions['env'] = {}): Promise<Environment> {
  let postgres: TestPostgres | undefined;
  let redis: TestRedis | undefined;
  let capture: OtlpCapture | undefined;
  try {
    [postgres, redis, capture] = await Promise.all([
      startPostgres(),
      startRedis(),
      startOtlpCapture(),
    ]);
    const stack = await startStack({
      databaseUrl: postgres.url,
      redisUrl: redis.url,
      redisKeyPrefix: redis.keyPrefix,
      otlpEndpoint: capture.url,
      env,
    });
    const db = new Pool({ connectionString: postgres.url, max: 4 });
    const resources = { postgres, redis, capture };
    return {
      stack,
      capture,
      db,
      stop: async () => {
        await stack.stop();
        await db.end();
        await Promise.all([
          resources.capture.close(),
          resources.redis.stop(),
          resources.postgres.stop(),
        ]);
      },
    };
  } catch (error) {
    await Promise.allSettled([capture?.close(), redis?.stop(), postgres?.stop()]);
    throw error;
  }
}

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** Calls the public API with the stack's API key. */
export async function api<T = Record<string, unknown>>(
  stack: Stack,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const response = await fetch(`${stack.gatewayUrl}${path}`, {
    method,
    headers: {
      'x-api-key': API_KEY,
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? JSON.parse(text) : undefined,
  };
}

/** A product the seed created, with its stock set to `stock`. */
export async function productWithStock(db: Pool, stock: number, offset = 0): Promise<string> {
  const { rows } = await db.query<{ sku: string }>(
    'SELECT sku FROM inventory.products ORDER BY sku OFFSET $1 LIMIT 1',
    [offset],
  );
  const sku = rows[0]?.sku;
  if (!sku) throw new Error('the inventory seed has no products');
  await db.query('UPDATE inventory.products SET stock = $2 WHERE sku = $1', [sku, stock]);
  return sku;
}

export async function stockOf(db: Pool, sku: string): Promise<number> {
  const { rows } = await db.query<{ stock: number }>(
    'SELECT stock FROM inventory.products WHERE sku = $1',
    [sku],
  );
  return Number(rows[0]?.stock);
}
