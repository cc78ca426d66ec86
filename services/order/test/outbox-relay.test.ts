import { randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_HEADERS } from '@mesh/contracts';
import {
  createKafka,
  createPool,
  ensureTopics,
  type Kafka,
  type KafkaMessage,
  migrate,
  type Producer,
} from '@mesh/service-kit';
import { createLogger, type Logger } from '@mesh/telemetry';
import { startInMemoryTelemetry } from '@mesh/telemetry-testing';
import { eventually, startKafka, startPostgres, type TestKafka, uniqueName } from '@mesh/testkit';
import { SpanStatusCode } from '@opentelemetry/api';
import { DB_SCHEMA, MIGRATIONS_DIR } from '../src/config';
import { type OutboxRelay, startOutboxRelay } from '../src/jobs/outbox-relay.job';
import { createOutboxProducer, publishPendingEvents } from '../src/outbox/outbox.relay';
import { parseReplayArguments, replayParkedEvents } from '../src/outbox/outbox.replay';
import {
  newCustomer,
  type OrderServiceUnderTest,
  orderOf,
  startOrderService,
} from './support/order-service';
import { type OutboxRow, outboxRows, parseTraceparent } from './support/outbox';

// Business spans and metrics only: the kafkajs instrumentation (which adds the `send` span and
// the traceparent header) does not run under jest, so the tests assert what the relay hands it:
// the `publish order event` span, in the stored trace context.
const telemetry = startInMemoryTelemetry();
const logger = createLogger({ name: 'order', level: process.env.TEST_LOG_LEVEL ?? 'silent' });

interface Received {
  offset: number;
  key: string;
  value: unknown;
  headers: Record<string, string>;
}

function received(message: KafkaMessage): Received {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined) headers[name] = value.toString();
  }
  return {
    offset: Number(message.offset),
    key: message.key?.toString() ?? '',
    value: JSON.parse(message.value?.toString() ?? 'null'),
    headers,
  };
}

describe('the outbox relay, against a real Kafka broker', () => {
  let service: OrderServiceUnderTest;
  let broker: TestKafka;
  let kafka: Kafka;
  let producer: Producer;
  /** One relay pass as the relay makes it, with the suite's producer unless told otherwise. */
  const publishPass = (settings: Partial<Parameters<typeof publishPendingEvents>[0]> = {}) =>
    publishPendingEvents({
      pool: service.pool,
      topic,
      producer,
      batchSize: 10,
      maxAttempts: 5,
      metrics: service.deps.metrics,
      logger,
      faults: service.deps.faults,
      ...settings,
    });
  // One partition, so the offsets show the order of publication.
  const topic = uniqueName('order-events');
  const spec = { topic, numPartitions: 1, replicationFactor: 1 };
  /** Everything on the topic, as a consumer of it sees it. */
  let onTopic: Received[];
  const stopConsumer: (() => Promise<void>)[] = [];
  const relays: OutboxRelay[] = [];

  /** Everything on `name` from its beginning, as a consumer of it sees it, as it arrives. */
  async function consume(name: string): Promise<Received[]> {
    const messages: Received[] = [];
    const consumer = kafka.consumer({
      groupId: uniqueName('order-test'),
      allowAutoTopicCreation: false,
      // Short fetches: messages show up sooner and disconnecting does not wait 5 s for one.
      maxWaitTimeInMs: 100,
    });
    stopConsumer.push(() => consumer.disconnect());
    await consumer.connect();
    await consumer.subscribe({ topic: name, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        messages.push(received(message));
      },
    });
    return messages;
  }

  beforeAll(async () => {
    [service, broker] = await Promise.all([startOrderService(), startKafka()]);
    kafka = createKafka({ clientId: 'order-test', brokers: broker.brokers, logger });
    await ensureTopics(kafka, [spec]);
    producer = createOutboxProducer(kafka);
    onTopic = await consume(topic);
  });
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
    service.deps.outbox.wake = () => {};
    service.reset();
    telemetry.reset();
  });
  afterAll(async () => {
    await Promise.all(stopConsumer.map((stop) => stop()));
    await producer?.disconnect();
    await service?.close();
    await broker?.stop();
    await telemetry.shutdown();
  });

  async function placeOrders(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const response = await service.placeOrder({
        customerId: newCustomer(),
        items: [{ sku: 'MUG-BLUE-350', quantity: 1 }],
      });
      expect(response.status).toBe(201);
      ids.push((await orderOf(response)).id);
    }
    return ids;
  }

  /** The messages of these events once all are on the topic, in topic order. */
  async function messagesOf(
    rows: { id: string }[],
    messages: Received[] = onTopic,
  ): Promise<Received[]> {
    const ids = new Set(rows.map((row) => row.id));
    return eventually(() => {
      const found = messages.filter((message) => ids.has(message.headers[EVENT_HEADERS.id] ?? ''));
      return new Set(found.map((message) => message.headers[EVENT_HEADERS.id])).size === ids.size
        ? found.sort((a, b) => a.offset - b.offset)
        : undefined;
    }, `${ids.size} events on the topic`);
  }

  /** Larger than the broker accepts (message.max.bytes, 1 MiB by default): refused every time. */
  async function makeTooLarge(orderId: string): Promise<void> {
    await service.pool.query(
      `UPDATE outbox SET payload = payload || jsonb_build_object('padding', repeat('x', 1100000))
       WHERE order_id = $1`,
      [orderId],
    );
  }

  async function pendingCount(): Promise<number> {
    return (await outboxRows(service.pool)).filter((row) => row.published_at === null).length;
  }

  /** Current value of a metric of the order service, summed over its points. */
  async function metricValue(name: string, attributes: Record<string, string> = {}) {
    const scopes = (await telemetry.collectMetrics()).flatMap((resource) => resource.scopeMetrics);
    return scopes
      .filter((scope) => scope.scope.name === '@mesh/order')
      .flatMap((scope) => scope.metrics)
      .filter((data) => data.descriptor.name === name)
      .flatMap((data) => data.dataPoints as { attributes: object; value: unknown }[])
      .filter((point) =>
        Object.entries(attributes).every(
          ([key, value]) => (point.attributes as Record<string, unknown>)[key] === value,
        ),
      )
      .reduce((sum, point) => sum + (point.value as number), 0);
  }

  function startRelay(settings: {
    pollIntervalMs: number;
    batchSize: number;
    topic?: string;
    maxAttempts?: number;
    logger?: Logger;
  }) {
    const relay = startOutboxRelay({
      pool: service.pool,
      kafka,
      topic: { ...spec, topic: settings.topic ?? topic },
      pollIntervalMs: settings.pollIntervalMs,
      batchSize: settings.batchSize,
      maxAttempts: settings.maxAttempts ?? 5,
      retentionMs: 86_400_000,
      metrics: service.deps.metrics,
      logger: settings.logger ?? logger,
      faults: service.deps.faults,
    });
    relays.push(relay);
    return relay;
  }

  it('when a pass runs, then each event is on the topic in order, keyed by order, with its headers, in the stored trace, and marked published', async () => {
    service.inventory.stock.set('TEE-BLACK-M', 0);
    await service.placeOrder({
      customerId: newCustomer(),
      items: [{ sku: 'TEE-BLACK-M', quantity: 1 }],
    });
    service.payment.behaviour.charge = 'decline';
    await placeOrders(1);
    service.payment.behaviour.charge = 'normal';
    await placeOrders(1);
    const rows = await outboxRows(service.pool);
    expect(rows.map((row) => row.payload.status)).toEqual([
      'REJECTED',
      'PAYMENT_FAILED',
      'CONFIRMED',
    ]);
    const confirmedBefore = await metricValue('mesh.outbox.published', {
      'mesh.event.type': 'order.confirmed',
    });
    const cancelledBefore = await metricValue('mesh.outbox.published', {
      'mesh.event.type': 'order.cancelled',
    });

    const pass = await publishPass();

    expect(pass).toEqual({ published: 3, failed: false });
    const messages = await messagesOf(rows);
    expect(messages).toHaveLength(3);
    messages.forEach((message, index) => {
      const row = rows[index] as OutboxRow;
      expect(message.key).toBe(row.order_id);
      expect(message.value).toEqual(row.payload);
      expect(message.headers).toMatchObject({
        [EVENT_HEADERS.id]: row.id,
        [EVENT_HEADERS.type]: row.event_type,
      });
    });

    const spans = (await telemetry.spans()).filter((span) => span.name === 'publish order event');
    expect(spans).toHaveLength(3);
    for (const row of rows) {
      const span = spans.find((candidate) => candidate.attributes['mesh.event.id'] === row.id);
      const stored = parseTraceparent(row.trace_context.traceparent);
      expect(span?.spanContext().traceId).toBe(stored.traceId);
      expect(span?.parentSpanContext?.spanId).toBe(stored.spanId);
      expect(span?.attributes).toEqual({
        'mesh.order.id': row.order_id,
        'mesh.event.id': row.id,
        'mesh.event.type': row.event_type,
        'mesh.outbox.delay_ms': expect.any(Number),
      });
      expect(span?.attributes['mesh.outbox.delay_ms']).toBeGreaterThanOrEqual(0);
    }

    for (const row of await outboxRows(service.pool)) {
      expect(row.published_at).toBeInstanceOf(Date);
      expect(row.attempts).toBe(0);
    }
    expect(
      await metricValue('mesh.outbox.published', { 'mesh.event.type': 'order.confirmed' }),
    ).toBe(confirmedBefore + 1);
    expect(
      await metricValue('mesh.outbox.published', { 'mesh.event.type': 'order.cancelled' }),
    ).toBe(cancelledBefore + 2);
    // Nothing left: a second pass publishes nothing again.
    expect(await publishPass()).toEqual({ published: 0, failed: false });
  });

  it('when Kafka is unreachable, then the events stay in the outbox with the failure recorded while orders are still taken, and go out in order once it is back', async () => {
    const down = createKafka({ clientId: 'order-test-down', brokers: ['127.0.0.1:1'], logger });
    const unreachable = createOutboxProducer(down);
    const firstIds = await placeOrders(2);

    // kafkajs retries the connection for a while (createKafka's retry settings) before failing.
    // One attempt allowed: an unreachable Kafka says nothing about the event, which is not parked.
    const pass = await publishPass({ producer: unreachable, batchSize: 2, maxAttempts: 1 });

    await unreachable.disconnect();
    expect(pass).toEqual({ published: 0, failed: true });
    const [first, second] = await outboxRows(service.pool, firstIds);
    expect(first).toMatchObject({ published_at: null, parked_at: null, attempts: 1 });
    expect(first?.last_error).toMatch(/ECONNREFUSED|connect/i);
    // The pass stopped at the first failure: the next event was not tried out of order.
    expect(second).toMatchObject({ published_at: null, attempts: 0, last_error: null });
    const [failedSpan] = (await telemetry.spans()).filter(
      (span) => span.name === 'publish order event',
    );
    expect(failedSpan?.status.code).toBe(SpanStatusCode.ERROR);
    expect(failedSpan?.spanContext().traceId).toBe(
      parseTraceparent(first?.trace_context.traceparent).traceId,
    );

    const [laterId] = await placeOrders(1);
    const rows = await outboxRows(service.pool, [...firstIds, laterId as string]);
    expect(rows).toHaveLength(3);

    expect(await publishPass()).toEqual({ published: 3, failed: false });
    const messages = await messagesOf(rows);
    expect(messages.map((message) => message.key)).toEqual(rows.map((row) => row.order_id));
    expect(await pendingCount()).toBe(0);
    expect((await outboxRows(service.pool, firstIds))[0]).toMatchObject({ attempts: 1 });
  }, 60_000);

  it('when the relay is started, then it creates its topic and publishes each committed event at once, without waiting for the next poll', async () => {
    const ownTopic = uniqueName('order-events');
    const relay = startRelay({ pollIntervalMs: 60_000, batchSize: 10, topic: ownTopic });
    service.deps.outbox.wake = () => relay.wake();
    const admin = kafka.admin();
    await admin.connect();
    try {
      await eventually(
        async () => ((await admin.listTopics()).includes(ownTopic) ? true : undefined),
        `topic ${ownTopic}`,
      );
    } finally {
      await admin.disconnect();
    }

    const onOwnTopic = await consume(ownTopic);

    // The first may go out with the first pass; the second only with a wake-up.
    for (const orderId of [...(await placeOrders(1)), ...(await placeOrders(1))]) {
      const started = Date.now();
      await messagesOf(await outboxRows(service.pool, [orderId]), onOwnTopic);
      expect(Date.now() - started).toBeLessThan(5_000);
    }
    // A consumer can see a message before the relay's transaction marking it published commits.
    await eventually(
      async () => ((await pendingCount()) === 0 ? true : undefined),
      'the events marked published',
    );
  });

  it('when an event cannot be published, then the relay retries it with backoff, keeps later events behind it, and publishes all of them by itself once it can', async () => {
    const [stuckId, laterId] = await placeOrders(2);
    await makeTooLarge(stuckId as string);
    // Attempts to spare: this is about the retries before an event is parked.
    startRelay({ pollIntervalMs: 20, batchSize: 10, maxAttempts: 100 });

    const attemptsOf = async () => (await outboxRows(service.pool, [stuckId as string]))[0];
    await eventually(
      async () => ((await attemptsOf())?.attempts ?? 0) >= 3 || undefined,
      '3 attempts',
    );
    const sampled = (await attemptsOf())?.attempts ?? 0;
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Backing off (1 s after the third failure), not spinning.
    expect((await attemptsOf())?.attempts).toBeLessThanOrEqual(sampled + 1);
    expect((await attemptsOf())?.last_error).toBeTruthy();
    const [, later] = await outboxRows(service.pool, [stuckId as string, laterId as string]);
    expect(later).toMatchObject({ published_at: null, attempts: 0 });
    expect(await metricValue('mesh.outbox.pending')).toBe(2);

    await service.pool.query(`UPDATE outbox SET payload = payload - 'padding'`);
    await eventually(
      async () => ((await pendingCount()) === 0 ? true : undefined),
      'the outbox drained',
    );
    const rows = await outboxRows(service.pool, [stuckId as string, laterId as string]);
    const messages = await messagesOf(rows);
    expect(messages.map((message) => message.key)).toEqual([stuckId, laterId]);
    expect(await metricValue('mesh.outbox.pending')).toBe(0);
  });

  it("when events were written before the relay owned its topic, then after the migration they are published to the relay's topic", async () => {
    const postgres = await startPostgres();
    const before = await mkdtemp(join(tmpdir(), 'order-migrations-'));
    const pool = createPool(postgres.url, {
      applicationName: 'order-test',
      schema: DB_SCHEMA,
      logger,
    });
    try {
      // The schema as it was when each row named its topic.
      for (const file of ['001_orders.sql', '002_outbox.sql']) {
        await copyFile(join(MIGRATIONS_DIR, file), join(before, file));
      }
      await migrate({ databaseUrl: postgres.url, schema: DB_SCHEMA, dir: before, logger });
      const event = { id: randomUUID(), orderId: randomUUID(), type: 'order.confirmed' };
      await pool.query(
        `INSERT INTO outbox (id, order_id, topic, event_type, payload)
         VALUES ($1, $2, 'order-events', $3, $4)`,
        [event.id, event.orderId, event.type, JSON.stringify(event)],
      );

      await migrate({ databaseUrl: postgres.url, schema: DB_SCHEMA, dir: MIGRATIONS_DIR, logger });
      const pass = await publishPass({ pool });

      expect(pass).toEqual({ published: 1, failed: false });
      const [message] = await messagesOf([event]);
      expect(message).toMatchObject({ key: event.orderId, value: event });
    } finally {
      await pool.end();
      await rm(before, { recursive: true, force: true });
      await postgres.stop();
    }
  });

  it('when Kafka keeps refusing an event, then after the allowed attempts it is parked with its last error, the events behind it go out, and it is logged and counted until replayed', async () => {
    const logLines: Record<string, unknown>[] = [];
    const relayLogger = createLogger({
      name: 'order',
      level: 'warn',
      destination: { write: (line: string) => void logLines.push(JSON.parse(line)) },
    });
    const [stuckId, laterId] = (await placeOrders(2)) as [string, string];
    await makeTooLarge(stuckId);
    const relay = startRelay({
      pollIntervalMs: 20,
      batchSize: 10,
      maxAttempts: 2,
      logger: relayLogger,
    });
    const published = (orderId: string) =>
      eventually(
        async () =>
          (await outboxRows(service.pool, [orderId]))[0]?.published_at ? true : undefined,
        `the event of ${orderId} published`,
      );

    await published(laterId);
    await messagesOf(await outboxRows(service.pool, [laterId]));
    const stuck = async () => (await outboxRows(service.pool, [stuckId]))[0];
    expect(await stuck()).toMatchObject({ published_at: null, attempts: 2 });
    expect((await stuck())?.parked_at).toBeInstanceOf(Date);
    expect((await stuck())?.last_error).toMatch(/larger than the max message size/);
    expect(logLines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        orderId: stuckId,
        eventId: (await stuck())?.id,
        attempts: 2,
      }),
    );
    expect(await metricValue('mesh.outbox.parked')).toBe(1);
    expect(await metricValue('mesh.outbox.pending')).toBe(0);
    // Parked: no longer tried.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await stuck())?.attempts).toBe(2);

    // Someone made it publishable and replays it: by order id (only parked rows change)...
    await service.pool.query(`UPDATE outbox SET payload = payload - 'padding'`);
    expect(await replayParkedEvents(service.pool, { orderIds: [laterId] })).toBe(0);
    expect(await replayParkedEvents(service.pool, { orderIds: [stuckId] })).toBe(1);
    await published(stuckId);
    await messagesOf(await outboxRows(service.pool, [stuckId]));
    expect(await stuck()).toMatchObject({ parked_at: null, attempts: 0 });
    expect(await metricValue('mesh.outbox.parked')).toBe(0);

    // ...or all of them at once (the relay stopped, so that it cannot publish them first).
    await relay.stop();
    const anotherIds = await placeOrders(2);
    await service.pool.query(
      `UPDATE outbox SET parked_at = now(), attempts = 2 WHERE order_id = ANY($1::uuid[])`,
      [anotherIds],
    );
    expect(await replayParkedEvents(service.pool, { all: true })).toBe(2);
    for (const row of await outboxRows(service.pool, anotherIds)) {
      expect(row).toMatchObject({ parked_at: null, attempts: 0, published_at: null });
    }
    startRelay({ pollIntervalMs: 20, batchSize: 10 });
    await messagesOf(await outboxRows(service.pool, anotherIds));
  });

  it('when the replay command is given its arguments, then it takes --all or order ids, and nothing else', () => {
    const id = randomUUID();
    expect(parseReplayArguments(['--all'])).toEqual({ all: true });
    expect(parseReplayArguments([id, id.toUpperCase()])).toEqual({
      orderIds: [id, id.toUpperCase()],
    });
    expect(() => parseReplayArguments([])).toThrow(/usage/i);
    expect(() => parseReplayArguments(['--all', id])).toThrow(/usage/i);
    expect(() => parseReplayArguments(['not-an-order-id'])).toThrow(/not-an-order-id/);
  });

  it('when two relays run at once, then every event is published exactly once by them together', async () => {
    const ids = await placeOrders(30);
    const rows = await outboxRows(service.pool, ids);
    expect(rows).toHaveLength(30);

    startRelay({ pollIntervalMs: 10, batchSize: 4 });
    startRelay({ pollIntervalMs: 10, batchSize: 4 });
    await eventually(
      async () => ((await pendingCount()) === 0 ? true : undefined),
      'the outbox drained',
    );
    await messagesOf(rows);
    // Give a duplicate time to arrive, should one have been sent.
    await new Promise((resolve) => setTimeout(resolve, 500));

    const eventIds = onTopic
      .map((message) => message.headers[EVENT_HEADERS.id])
      .filter((id) => rows.some((row) => row.id === id));
    expect(eventIds).toHaveLength(30);
    expect(new Set(eventIds).size).toBe(30);
  });
});
