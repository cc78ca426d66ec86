import { createServer, type Server } from 'node:http';
import {
  createKafka,
  createPool,
  exitOnSignals,
  failStart,
  migrate,
  ServiceClient,
} from '@mesh/service-kit';
import { createLogger } from '@mesh/telemetry';
import { buildApp } from './app';
import { DB_SCHEMA, loadOrderConfig, MIGRATIONS_DIR } from './config';
import { startOrderRecovery } from './jobs/order-recovery.job';
import { createOutboxRelay } from './outbox/outbox.relay';

async function main(): Promise<void> {
  const config = loadOrderConfig();
  const logger = createLogger({ name: 'order', level: config.LOG_LEVEL });
  const pool = createPool(config.DATABASE_URL, {
    applicationName: 'order',
    schema: DB_SCHEMA,
    logger,
  });
  if (config.MIGRATE_ON_START) {
    await migrate({
      databaseUrl: config.DATABASE_URL,
      schema: DB_SCHEMA,
      dir: MIGRATIONS_DIR,
      logger,
    });
  }
  // Orders are taken whether or not Kafka is up: their events wait in the outbox for the relay.
  const relay = createOutboxRelay({
    pool,
    kafka: createKafka({ clientId: 'order', brokers: config.KAFKA_BROKERS.split(','), logger }),
    logger,
    topic: {
      topic: config.ORDER_EVENTS_TOPIC,
      numPartitions: config.TOPIC_PARTITIONS,
      replicationFactor: config.TOPIC_REPLICATION_FACTOR,
    },
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
    batchSize: config.OUTBOX_BATCH_SIZE,
    maxAttempts: config.OUTBOX_MAX_ATTEMPTS,
    retentionMs: config.OUTBOX_RETENTION_MS,
  });
  const deps = {
    pool,
    logger,
    outbox: { wake: () => relay.wake() },
    inventory: new ServiceClient({
      name: 'inventory',
      baseUrl: config.INVENTORY_URL,
      timeoutMs: config.INVENTORY_TIMEOUT_MS,
    }),
    payment: new ServiceClient({
      name: 'payment',
      baseUrl: config.PAYMENT_URL,
      timeoutMs: config.PAYMENT_TIMEOUT_MS,
    }),
  };

  const app = buildApp({
    ...deps,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    deadlineMarginMs: config.ORDER_DEADLINE_MARGIN_MS,
  });
  const server = await listen(createServer(app), config.PORT, config.HOST);
  const recovery = startOrderRecovery(deps, {
    intervalMs: config.ORDER_RECOVERY_INTERVAL_MS,
    afterMs: config.ORDER_RECOVERY_AFTER_MS,
    leaseMs: config.ORDER_RECOVERY_LEASE_MS,
  });
  relay.start();
  logger.info({ port: config.PORT, host: config.HOST }, 'order service listening');

  exitOnSignals(
    [
      { name: 'http server', close: () => new Promise((done) => server.close(done)) },
      { name: 'order recovery', close: () => recovery.stop() },
      // After the writers of events, so the last ones still go out.
      { name: 'outbox relay', close: () => relay.stop(), timeoutMs: 10_000 },
      { name: 'postgres pool', close: () => pool.end() },
    ],
    logger,
  );
}

function listen(server: Server, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

main().catch((error: unknown) => failStart(createLogger({ name: 'order' }), error));
