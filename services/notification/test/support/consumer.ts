import { join } from 'node:path';
import {
  type BackgroundConsumer,
  createKafka,
  createPool,
  type Kafka,
  migrate,
  type Pool,
} from '@mesh/service-kit';
import type { Logger } from '@mesh/telemetry';
import { startKafka, startPostgres, type TestKafka } from '@mesh/testkit';
import { metrics } from '@opentelemetry/api';
import type { EmailProvider } from '../../src/domain/email-provider';
import { startOrderEventsConsumer } from '../../src/messaging/order-events.consumer';
import { createNotificationMetrics } from '../../src/metrics';

/** The notification consumer against a real PostgreSQL (migrated) and a real Kafka broker. */
export interface ConsumerUnderTest {
  broker: TestKafka;
  pool: Pool;
  kafka: Kafka;
  consumer: BackgroundConsumer;
  stop(): Promise<void>;
}

export async function startConsumerUnderTest(settings: {
  topic: string;
  groupId: string;
  email: EmailProvider;
  maxAttempts: number;
  clientId: string;
  logger: Logger;
}): Promise<ConsumerUnderTest> {
  const { logger } = settings;
  const { topic, groupId } = settings;
  const [postgres, broker] = await Promise.all([startPostgres(), startKafka()]);
  await migrate({
    databaseUrl: postgres.url,
    schema: 'notifications',
    dir: join(__dirname, '..', '..', 'migrations'),
    logger,
  });
  const pool = createPool(postgres.url, {
    applicationName: 'test',
    schema: 'notifications',
    logger,
  });
  const kafka = createKafka({ clientId: settings.clientId, brokers: broker.brokers, logger });
  const consumer = startOrderEventsConsumer({
    kafka,
    topic,
    groupId,
    maxAttempts: settings.maxAttempts,
    pool,
    email: settings.email,
    logger,
    metrics: createNotificationMetrics(metrics.getMeter('@mesh/notification')),
    topicLayout: { numPartitions: 1, replicationFactor: 1 },
  });
  await consumer.started;
  return {
    broker,
    pool,
    kafka,
    consumer,
    stop: async () => {
      await consumer.stop();
      await pool.end();
      await Promise.all([postgres.stop(), broker.stop()]);
    },
  };
}
