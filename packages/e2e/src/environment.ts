import { type OtlpCapture, startOtlpCapture } from '@mesh/otlp-capture';
import {
  type DedicatedKafka,
  startDedicatedKafka,
  startKafka,
  startPostgres,
  startRedis,
  uniqueName,
} from '@mesh/testkit';
import { Pool } from 'pg';
import { API_KEY, type Stack, type StackOptions, startStack } from './stack';

export interface Environment {
  stack: Stack;
  capture: OtlpCapture;
  /** The test's own database, where every service has its schema. */
  db: Pool;
  /** Only with `dedicatedKafka`: the broker this environment may restart. */
  kafka: DedicatedKafka | undefined;
  stop(): Promise<void>;
}

export interface EnvironmentOptions {
  env?: StackOptions['env'];
  /** The workshop flag file the services read. Default: the repository's. */
  flagsFile?: string;
  /** A broker of this environment's own, for tests that restart it. Default: the shared one. */
  dedicatedKafka?: boolean;
  /** Processes per service (default one each); see StackOptions. */
  instances?: StackOptions['instances'];
}

/**
 * Real PostgreSQL, Redis and Kafka, an OTLP capture, and the five services started against them.
 * Everything is this environment's own: a database, a Redis key prefix, a topic and consumer
 * groups (or a whole broker), so environments can run beside other tests.
 */
export async function startEnvironment(options: EnvironmentOptions = {}): Promise<Environment> {
  const cleanup: (() => Promise<unknown>)[] = [];
  try {
    const [postgres, redis, capture, kafka] = await Promise.all([
      startPostgres(),
      startRedis(),
      startOtlpCapture(),
      options.dedicatedKafka ? startDedicatedKafka() : startKafka(),
    ]);
    cleanup.push(
      () => postgres.stop(),
      () => redis.stop(),
      () => capture.close(),
      () => kafka.stop(),
    );
    const stack = await startStack({
      databaseUrl: postgres.url,
      redisUrl: redis.url,
      redisKeyPrefix: redis.keyPrefix,
      kafkaBrokers: kafka.brokers,
      kafkaPrefix: `${uniqueName('e2e')}.`,
      otlpEndpoint: capture.url,
      otlpProtocol: 'http/json',
      flagsFile: options.flagsFile,
      env: options.env ?? {},
      instances: options.instances,
    });
    const db = new Pool({ connectionString: postgres.url, max: 4 });
    return {
      stack,
      capture,
      db,
      kafka: options.dedicatedKafka ? (kafka as DedicatedKafka) : undefined,
      stop: async () => {
        await stack.stop();
        await db.end();
        await Promise.allSettled(cleanup.map((step) => step()));
      },
    };
  } catch (error) {
    await Promise.allSettled(cleanup.map((step) => step()));
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
