import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deadLetterTopic } from '@mesh/contracts';
import type { Kafka, Pool } from '@mesh/service-kit';
import { createLogger } from '@mesh/telemetry';
import { eventually, type TestKafka, uniqueName } from '@mesh/testkit';
import type { Email, EmailProvider } from '../src/domain/email-provider';
import { type ConsumerUnderTest, startConsumerUnderTest } from './support/consumer';
import { orderEvent } from './support/order-event';

const run = promisify(execFile);
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

describe('dlq:replay: dead-lettered order events sent back (real Kafka and PostgreSQL)', () => {
  let under: ConsumerUnderTest;
  let broker: TestKafka;
  let pool: Pool;
  let kafka: Kafka;
  const topic = uniqueName('order-events');
  const groupId = uniqueName('notification');
  const sent: Email[] = [];
  /** While true, sending fails as a bug would: not transient, so events are dead-lettered. */
  let broken = true;
  const email: EmailProvider = {
    send: async (message) => {
      if (broken) throw new TypeError("Cannot read properties of undefined (reading 'to')");
      sent.push(message);
    },
  };

  beforeAll(async () => {
    under = await startConsumerUnderTest({
      topic,
      groupId,
      email,
      maxAttempts: 1,
      clientId: 'dlq-replay-test',
      logger,
    });
    ({ broker, pool, kafka } = under);
  });
  afterAll(async () => {
    await under?.stop();
  });

  /** Runs the command as a person would, with the service's variables; returns its summary. */
  async function replay(...args: string[]) {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', join(__dirname, '..', 'src', 'dlq-replay.ts'), ...args],
      {
        env: {
          ...process.env,
          KAFKA_BROKERS: broker.brokers.join(','),
          ORDER_EVENTS_TOPIC: topic,
          KAFKA_GROUP_ID: groupId,
          LOG_LEVEL: 'info',
        },
        timeout: 50_000,
      },
    );
    const summary = stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string; replayed?: number; left?: number })
      .find((line) => line.msg === 'dead letters replayed');
    if (!summary) throw new Error(`the command printed no summary:\n${stdout}`);
    return { replayed: summary.replayed, left: summary.left };
  }

  const notificationCount = async (orderId: string) => {
    const { rows } = await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM notifications WHERE order_id = $1',
      [orderId],
    );
    return rows[0]?.n;
  };

  it('when an event was dead-lettered twice and the cause is fixed, then replaying sends its e-mail once, and a second run has nothing left to replay', async () => {
    const event = orderEvent();
    const message = { key: event.orderId, value: JSON.stringify(event) };
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    // Delivered twice (at-least-once), failed twice: two dead letters for one event.
    await producer.send({ topic, messages: [message, message] });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    try {
      await eventually(async () => {
        const [partition] = await admin.fetchTopicOffsets(deadLetterTopic(topic, groupId));
        return partition?.high === '2' ? true : undefined;
      }, 'two dead letters');
    } finally {
      await admin.disconnect();
    }
    expect(await notificationCount(event.orderId)).toBe(0);

    broken = false;
    expect(await replay('--limit', '10')).toEqual({ replayed: 2, left: 0 });

    await eventually(
      async () => ((await notificationCount(event.orderId)) === 1 ? true : undefined),
      'the notification',
    );
    expect(await replay()).toEqual({ replayed: 0, left: 0 });
    // Both replayed copies consumed: the group has committed past all four messages.
    const groupAdmin = kafka.admin();
    await groupAdmin.connect();
    try {
      await eventually(async () => {
        const [offsets] = await groupAdmin.fetchOffsets({ groupId, topics: [topic] });
        return offsets?.partitions[0]?.offset === '4' ? true : undefined;
      }, 'the replayed copies consumed');
    } finally {
      await groupAdmin.disconnect();
    }
    expect(await notificationCount(event.orderId)).toBe(1);
    expect(sent.filter((m) => m.idempotencyKey === event.id)).toHaveLength(1);
  });
});
