import { join } from 'node:path';
import {
  createKafka,
  createPool,
  exitOnSignals,
  failStart,
  migrate,
  startFaults,
  topicLayout,
} from '@mesh/service-kit';
import { createLogger } from '@mesh/telemetry';
import { metrics } from '@opentelemetry/api';
import { buildApp } from './app';
import { loadNotificationConfig } from './config';
import { simulatedEmailProviderWithFaults } from './domain/email-provider';
import { startOrderEventsConsumer } from './messaging/order-events.consumer';
import { createNotificationMetrics } from './metrics';

const SCHEMA = 'notifications';
const logger = createLogger({ name: 'notification' });

async function main(): Promise<void> {
  const config = loadNotificationConfig();
  logger.level = config.LOG_LEVEL;

  if (config.MIGRATE_ON_START) {
    await migrate({
      databaseUrl: config.DATABASE_URL,
      schema: SCHEMA,
      dir: join(__dirname, '..', 'migrations'),
      logger,
    });
  }
  const pool = createPool(config.DATABASE_URL, {
    // Each event in hand holds a connection while its e-mail goes out (one transaction), plus a
    // few for GET /notifications: the consumer never waits for the pool.
    max: config.KAFKA_CONSUMER_CONCURRENCY + 4,
    applicationName: 'notification',
    schema: SCHEMA,
    logger,
  });

  const faults = await startFaults({ file: config.FLAGS_FILE, logger });

  const app = buildApp({ pool, logger, readiness: { postgres: () => pool.query('SELECT 1') } });
  await app.listen({ port: config.PORT, host: config.HOST });
  // Not awaited: the service serves its queries while Kafka is down, and the consumer joins
  // when the broker answers.
  const consumer = startOrderEventsConsumer({
    kafka: createKafka({ clientId: 'notification', brokers: config.KAFKA_BROKERS, logger }),
    topic: config.ORDER_EVENTS_TOPIC,
    groupId: config.KAFKA_GROUP_ID,
    maxAttempts: config.MESSAGE_MAX_ATTEMPTS,
    concurrency: config.KAFKA_CONSUMER_CONCURRENCY,
    topicLayout: topicLayout(config),
    pool,
    email: simulatedEmailProviderWithFaults(config.EMAIL_LATENCY_MS, faults),
    metrics: createNotificationMetrics(metrics.getMeter('@mesh/notification')),
    logger,
  });

  exitOnSignals(
    [
      { name: 'http server', close: () => app.close() },
      { name: 'order-events consumer', close: () => consumer.stop(), timeoutMs: 10_000 },
      { name: 'postgres pool', close: () => pool.end() },
      { name: 'fault flags', close: () => faults.close() },
    ],
    logger,
  );
}

main().catch((error: unknown) => failStart(logger, error));
