import { once } from 'node:events';
import {
  createKafka,
  createPool,
  exitOnSignals,
  failStart,
  migrate,
  ServiceClient,
  startFaults,
  topicLayout,
} from '@mesh/service-kit';
import { createLogger } from '@mesh/telemetry';
import { metrics } from '@opentelemetry/api';
import { buildApp } from './app';
import { DB_SCHEMA, loadOrderConfig, MIGRATIONS_DIR } from './config';
import { startOrderRecovery } from './jobs/order-recovery.job';
import { startOutboxRelay } from './jobs/outbox-relay.job';
import { createOrderMetrics } from './metrics';

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
  const orderMetrics = createOrderMetrics(metrics.getMeter('@mesh/order'));
  const faults = await startFaults({ file: config.FLAGS_FILE, logger });
  // Orders are taken whether or not Kafka is up: their events wait in the outbox for the relay.
  const relay = startOutboxRelay({
    pool,
    kafka: createKafka({ clientId: 'order', brokers: config.KAFKA_BROKERS, logger }),
    topic: { topic: config.ORDER_EVENTS_TOPIC, ...topicLayout(config) },
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
    batchSize: config.OUTBOX_BATCH_SIZE,
    maxAttempts: config.OUTBOX_MAX_ATTEMPTS,
    retentionMs: config.OUTBOX_RETENTION_MS,
    metrics: orderMetrics,
    logger,
    faults,
  });
  const deps = {
    pool,
    logger,
    outbox: relay,
    metrics: orderMetrics,
    faults,
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
  const server = app.listen(config.PORT, config.HOST);
  // Rejects on 'error' (e.g. the port is taken), which fails the start.
  await once(server, 'listening');
  const recovery = startOrderRecovery(deps, {
    intervalMs: config.ORDER_RECOVERY_INTERVAL_MS,
    afterMs: config.ORDER_RECOVERY_AFTER_MS,
    leaseMs: config.ORDER_RECOVERY_LEASE_MS,
  });
  logger.info({ port: config.PORT, host: config.HOST }, 'order service listening');

  exitOnSignals(
    [
      { name: 'http server', close: () => new Promise((done) => server.close(done)) },
      { name: 'order recovery', close: () => recovery.stop() },
      // After the writers of events, so the last ones still go out.
      { name: 'outbox relay', close: () => relay.stop(), timeoutMs: 10_000 },
      { name: 'postgres pool', close: () => pool.end() },
      { name: 'fault flags', close: () => faults.close() },
    ],
    logger,
  );
}

main().catch((error: unknown) => failStart(createLogger({ name: 'order' }), error));
