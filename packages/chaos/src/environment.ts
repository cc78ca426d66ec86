import { type Stack, startStack } from '@mesh/e2e';
import {
  type DedicatedKafka,
  type DedicatedPostgres,
  type DedicatedRedis,
  startDedicatedKafka,
  startDedicatedPostgres,
  startDedicatedRedis,
} from '@mesh/testkit';
import { Pool } from 'pg';
import { type OtlpSink, startOtlpSink } from './otlp-sink';
import { type SlowHop, startSlowHop } from './proxy';

/** Order's time limits for its calls, as configured for the suite (the services' defaults). */
export const INVENTORY_TIMEOUT_MS = 2_000;
export const PAYMENT_TIMEOUT_MS = 5_000;

/** Units of every in-stock product at the start, so a run never sells out by accident. */
const STOCK_PER_PRODUCT = 100_000;

/**
 * Everything a fault may hit, all of the suite's own: PostgreSQL, Redis and a Kafka broker as
 * native processes on free ports (the shared development servers are never touched), a stand-in
 * collector, slow-able hops in front of inventory and payment, and the five services.
 */
export interface ChaosEnvironment {
  postgres: DedicatedPostgres;
  redis: DedicatedRedis;
  kafka: DedicatedKafka;
  collector: OtlpSink;
  /** Order → inventory and order → payment. */
  hops: { inventory: SlowHop; payment: SlowHop };
  stack: Stack;
  /** The suite's reader of every service's schema. */
  db: Pool;
  /** Stock per SKU right after the suite set it, before any order. */
  initialStock: Map<string, number>;
  stop(): Promise<void>;
}

export async function startChaosEnvironment(): Promise<ChaosEnvironment> {
  const cleanup: (() => Promise<unknown>)[] = [];
  const stopAll = () => Promise.allSettled(cleanup.reverse().map((step) => step()));
  try {
    const [postgres, redis, kafka, collector, inventoryHop, paymentHop] = await Promise.all([
      startDedicatedPostgres(),
      startDedicatedRedis(),
      startDedicatedKafka(),
      startOtlpSink(),
      startSlowHop(),
      startSlowHop(),
    ]);
    cleanup.push(
      () => postgres.stop(),
      () => redis.stop(),
      () => kafka.stop(),
      () => collector.close(),
      () => inventoryHop.close(),
      () => paymentHop.close(),
    );
    const stack = await startStack({
      databaseUrl: postgres.url,
      redisUrl: redis.url,
      redisKeyPrefix: 'chaos:',
      kafkaBrokers: kafka.brokers,
      kafkaPrefix: 'chaos.',
      otlpEndpoint: collector.url,
      env: {
        // Declines too, so PAYMENT_FAILED orders (stock released, nothing charged) are in the mix.
        payment: { PAYMENT_DECLINE_RATE: '0.1' },
        // A reservation whose order was never saved (order killed between reserving and saving)
        // is released by inventory's sweep after its TTL: 30 s here instead of the production
        // 15 min, so the suite sees the safety net work within its 90 s.
        inventory: { RESERVATION_TTL_MS: '30000', RESERVATION_SWEEP_INTERVAL_MS: '2000' },
        order: {
          INVENTORY_URL: inventoryHop.url,
          PAYMENT_URL: paymentHop.url,
          INVENTORY_TIMEOUT_MS: String(INVENTORY_TIMEOUT_MS),
          PAYMENT_TIMEOUT_MS: String(PAYMENT_TIMEOUT_MS),
          // Orders a crash or an outage left half-done are finished within the suite's 90 s
          // instead of the production minute; still far above the longest request.
          ORDER_RECOVERY_AFTER_MS: '20000',
          ORDER_RECOVERY_INTERVAL_MS: '2000',
        },
      },
    });
    cleanup.push(() => stack.stop());
    // Until here the hops answer 503; nothing calls through them before the gateway is up.
    inventoryHop.target = stack.services.inventory.url;
    paymentHop.target = stack.services.payment.url;
    const db = new Pool({ connectionString: postgres.url, max: 4 });
    db.on('error', () => undefined); // the suite stops PostgreSQL under it on purpose
    cleanup.push(() => db.end());
    await db.query('UPDATE inventory.products SET stock = $1 WHERE stock > 0', [STOCK_PER_PRODUCT]);
    const { rows } = await db.query<{ sku: string; stock: number }>(
      'SELECT sku, stock FROM inventory.products',
    );
    return {
      postgres,
      redis,
      kafka,
      collector,
      hops: { inventory: inventoryHop, payment: paymentHop },
      stack,
      db,
      initialStock: new Map(rows.map((row) => [row.sku, Number(row.stock)])),
      stop: async () => void (await stopAll()),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
