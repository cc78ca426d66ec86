import {
  createKafka,
  createPool,
  createRedis,
  exitOnSignals,
  failStart,
  migrate,
  startFaults,
  topicLayout,
} from '@mesh/service-kit';
import { createLogger } from '@mesh/telemetry';
import { buildApp } from './app';
import { readConfig } from './config';
import { createInventory, DB_SCHEMA, MIGRATIONS_DIR } from './inventory';
import { startReservationExpiry } from './jobs/reservation-expiry.job';
import { startOrderEventsConsumer } from './messaging/order-events.consumer';

async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger({ name: 'inventory', level: config.LOG_LEVEL });

  if (config.MIGRATE_ON_START) {
    await migrate({
      databaseUrl: config.DATABASE_URL,
      schema: DB_SCHEMA,
      dir: MIGRATIONS_DIR,
      logger,
    });
  }
  const pool = createPool(config.DATABASE_URL, {
    applicationName: 'inventory',
    schema: DB_SCHEMA,
    logger,
  });
  const redis = createRedis(config.REDIS_URL, {
    name: 'product cache',
    keyPrefix: config.REDIS_KEY_PREFIX,
    logger,
    fallback: 'serving reads from PostgreSQL',
  });
  const faults = await startFaults({ file: config.FLAGS_FILE, logger });
  const inventory = createInventory({
    pool,
    redis,
    logger,
    cacheTtlSeconds: config.CACHE_TTL_SECONDS,
    reservationTtlMs: config.RESERVATION_TTL_MS,
    faults,
  });

  const app = buildApp({ inventory, redis });
  await app.listen({ port: config.PORT, host: config.HOST });
  const expiry = startReservationExpiry(inventory, {
    intervalMs: config.RESERVATION_SWEEP_INTERVAL_MS,
  });
  // Not awaited, and only once HTTP serves: the order path reserves stock over HTTP, so the
  // service must start and serve while Kafka is down; the consumer joins when the broker answers.
  const consumer = startOrderEventsConsumer(inventory, {
    kafka: createKafka({ clientId: 'inventory', brokers: config.KAFKA_BROKERS, logger }),
    topic: config.ORDER_EVENTS_TOPIC,
    groupId: config.KAFKA_GROUP_ID,
    maxAttempts: config.MESSAGE_MAX_ATTEMPTS,
    concurrency: config.KAFKA_CONSUMER_CONCURRENCY,
    topicLayout: topicLayout(config),
  });

  exitOnSignals(
    [
      { name: 'http server', close: () => app.close() },
      { name: 'order-events consumer', close: () => consumer.stop(), timeoutMs: 10_000 },
      { name: 'reservation expiry', close: () => expiry.stop() },
      { name: 'stock metrics', close: () => inventory.metrics.stop() },
      { name: 'redis', close: () => redis.quit() },
      { name: 'postgres pool', close: () => pool.end() },
      { name: 'fault flags', close: () => faults.close() },
    ],
    logger,
  );
}

// Bad config, an unreachable database or a failed migration: say why and exit non-zero.
main().catch((error: unknown) => failStart(createLogger({ name: 'inventory' }), error));
