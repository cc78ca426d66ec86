import { DEAD_LETTER_HEADERS, deadLetterTopic } from '@mesh/contracts';
import type { Kafka, Pool } from '@mesh/service-kit';
import { createLogger } from '@mesh/telemetry';
import { eventually, uniqueName } from '@mesh/testkit';
import type { FastifyInstance } from 'fastify';
import type { KafkaMessage } from 'kafkajs';
import { buildApp } from '../src/app';
import type { Email, EmailProvider } from '../src/domain/email-provider';
import { type ConsumerUnderTest, startConsumerUnderTest } from './support/consumer';
import { orderEvent } from './support/order-event';

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

describe('notification: order events from a real Kafka broker', () => {
  let under: ConsumerUnderTest;
  let pool: Pool;
  let kafka: Kafka;
  let app: FastifyInstance;
  const sent: Email[] = [];
  /** Sends that fail as if the provider's network were down; counts down per attempt. */
  let outageAttempts = 0;
  const topic = uniqueName('order-events');
  const groupId = uniqueName('notification');
  const email: EmailProvider = {
    send: async (message) => {
      if (outageAttempts > 0) {
        outageAttempts -= 1;
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      }
      sent.push(message);
    },
  };
  const producer = () => kafka.producer({ allowAutoTopicCreation: false });

  beforeAll(async () => {
    under = await startConsumerUnderTest({
      topic,
      groupId,
      email,
      maxAttempts: 2,
      clientId: 'notification-test',
      logger,
    });
    ({ pool, kafka } = under);
    app = buildApp({ pool, logger, readiness: { postgres: () => pool.query('SELECT 1') } });
  });
  afterAll(async () => {
    await app?.close();
    await under?.stop();
  });

  async function publish(
    messages: { key: string; value: string; headers?: Record<string, string> }[],
  ) {
    const p = producer();
    await p.connect();
    try {
      await p.send({ topic, messages });
    } finally {
      await p.disconnect();
    }
  }

  const notificationsOf = async (orderId: string) => {
    const response = await app.inject({ method: 'GET', url: `/notifications?orderId=${orderId}` });
    expect(response.statusCode).toBe(200);
    return (
      response.json() as { items: { eventId: string; eventType: string; recipient: string }[] }
    ).items;
  };

  it('when an order event arrives, then one e-mail is sent and the notification can be queried', async () => {
    const event = orderEvent();
    await publish([{ key: event.orderId, value: JSON.stringify(event) }]);
    const items = await eventually(async () => {
      const found = await notificationsOf(event.orderId);
      return found.length > 0 ? found : undefined;
    }, 'the notification');
    expect(items).toEqual([
      expect.objectContaining({
        eventId: event.id,
        eventType: 'order.confirmed',
        recipient: 'ada@customers.mesh.example',
      }),
    ]);
    expect(sent.filter((m) => m.idempotencyKey === event.id)).toHaveLength(1);
  });

  it('when the same event is delivered three times, then the customer is notified once', async () => {
    const event = orderEvent({
      type: 'order.cancelled',
      status: 'PAYMENT_FAILED',
      reason: 'declined',
    });
    const message = { key: event.orderId, value: JSON.stringify(event) };
    await publish([message, message, message]);
    // A later event on the same partition proves the duplicates were all consumed.
    const marker = orderEvent();
    await publish([{ key: marker.orderId, value: JSON.stringify(marker) }]);
    await eventually(
      async () => ((await notificationsOf(marker.orderId)).length > 0 ? true : undefined),
      'the marker',
    );
    expect(await notificationsOf(event.orderId)).toHaveLength(1);
    expect(sent.filter((m) => m.idempotencyKey === event.id)).toHaveLength(1);
  });

  it('when poison messages arrive, then they go to the dead-letter topic with their headers and the partition keeps flowing', async () => {
    const dlq: KafkaMessage[] = [];
    const reader = kafka.consumer({ groupId: uniqueName('dlq-reader') });
    await reader.connect();
    await reader.subscribe({ topic: deadLetterTopic(topic, groupId), fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        dlq.push(message);
      },
    });
    try {
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const valid = orderEvent();
      await publish([
        {
          key: 'garbage',
          value: '{not json',
          headers: { traceparent, 'mesh-event-type': 'order.confirmed' },
        },
        { key: 'invalid', value: JSON.stringify({ ...orderEvent(), totalCents: -5 }) },
        { key: valid.orderId, value: JSON.stringify(valid) },
      ]);
      await eventually(
        async () => ((await notificationsOf(valid.orderId)).length > 0 ? true : undefined),
        'the valid event',
      );
      await eventually(async () => (dlq.length >= 2 ? true : undefined), 'two dead letters');

      const garbage = dlq.find((m) => m.key?.toString() === 'garbage');
      const header = (m: KafkaMessage | undefined, name: string) => m?.headers?.[name]?.toString();
      expect(garbage?.value?.toString()).toBe('{not json');
      expect(header(garbage, 'mesh-event-type')).toBe('order.confirmed');
      expect(header(garbage, DEAD_LETTER_HEADERS.traceparent)).toBe(traceparent);
      expect(header(garbage, DEAD_LETTER_HEADERS.error)).toMatch(/not JSON/);
      expect(header(garbage, DEAD_LETTER_HEADERS.attempts)).toBe('2');
      expect(header(garbage, DEAD_LETTER_HEADERS.topic)).toBe(topic);
      expect(header(garbage, DEAD_LETTER_HEADERS.group)).toBe(groupId);
      const invalid = dlq.find((m) => m.key?.toString() === 'invalid');
      expect(header(invalid, DEAD_LETTER_HEADERS.error)).toMatch(/totalCents/);
    } finally {
      await reader.disconnect();
    }
  });

  it('when the provider is down for longer than the attempt limit, then the event waits and is not dead-lettered', async () => {
    outageAttempts = 4;
    const event = orderEvent();
    await publish([{ key: event.orderId, value: JSON.stringify(event) }]);
    await eventually(
      async () => ((await notificationsOf(event.orderId)).length > 0 ? true : undefined),
      'notification',
    );
    expect(outageAttempts).toBe(0);
    expect(sent.filter((m) => m.idempotencyKey === event.id)).toHaveLength(1);
    const { rows } = await pool.query(
      'SELECT count(*)::int AS n FROM notifications WHERE order_id = $1',
      [event.orderId],
    );
    expect(rows[0]).toEqual({ n: 1 });
  });

  it('when an event carries a malformed traceparent or none, then it is processed normally', async () => {
    const broken = orderEvent();
    const bare = orderEvent();
    await publish([
      {
        key: broken.orderId,
        value: JSON.stringify(broken),
        headers: { traceparent: 'ff-zz-not-a-trace' },
      },
      { key: bare.orderId, value: JSON.stringify(bare) },
    ]);
    for (const event of [broken, bare]) {
      await eventually(
        async () => ((await notificationsOf(event.orderId)).length > 0 ? true : undefined),
        'notification',
      );
    }
  });

  it('when the query has no or a malformed order id, then 400 invalid-request', async () => {
    for (const url of ['/notifications', '/notifications?orderId=42']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'invalid-request' });
    }
  });
});
