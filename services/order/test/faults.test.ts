import { EVENT_HEADERS } from '@mesh/contracts';
import {
  createKafka,
  ensureTopics,
  type Faults,
  type Kafka,
  type KafkaMessage,
  type Producer,
  startFaults,
} from '@mesh/service-kit';
import { capturedLogger, startInMemoryTelemetry } from '@mesh/telemetry-testing';
import { eventually, flagFileCopy, startKafka, type TestKafka, uniqueName } from '@mesh/testkit';
import { context, propagation } from '@opentelemetry/api';
import { type OutboxRelay, startOutboxRelay } from '../src/jobs/outbox-relay.job';
import { createOutboxProducer, publishPendingEvents } from '../src/outbox/outbox.relay';
import {
  newCustomer,
  type OrderServiceUnderTest,
  orderOf,
  startOrderService,
} from './support/order-service';
import { outboxRows, parseTraceparent } from './support/outbox';

/*
 * The order faults as a learner finds them: switched in the flag file while the service runs,
 * then seen on the spans, the messages and the outbox gauges.
 */
const telemetry = startInMemoryTelemetry();
const { logger, lines } = capturedLogger('info', 'order');

type Span = Awaited<ReturnType<typeof telemetry.spans>>[number];

describe('order faults', () => {
  const flags = flagFileCopy();
  let faults: Faults;
  let service: OrderServiceUnderTest;
  let broker: TestKafka;
  let kafka: Kafka;
  const topic = uniqueName('order-events');
  const spec = { topic, numPartitions: 1, replicationFactor: 1 };
  const onTopic: KafkaMessage[] = [];
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    faults = await startFaults({ file: flags.file, logger });
    [service, broker] = await Promise.all([startOrderService({ faults }), startKafka()]);
    kafka = createKafka({ clientId: 'order-faults-test', brokers: broker.brokers, logger });
    await ensureTopics(kafka, [spec]);
    const consumer = kafka.consumer({ groupId: uniqueName('order-faults'), maxWaitTimeInMs: 100 });
    closers.push(() => consumer.disconnect());
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void onTopic.push(message) });
  });
  afterEach(() => {
    service.reset();
    telemetry.reset();
  });
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    await service?.close();
    await broker?.stop();
    await faults?.close();
    await telemetry.shutdown();
  });

  async function switchTo(flag: Parameters<Faults['on']>[0], on: boolean): Promise<void> {
    flags.switchTo(flag, on ? 'on' : null);
    await eventually(
      async () => ((await faults.on(flag)) === on ? true : undefined),
      `${flag} to be ${on ? 'on' : 'off'}`,
    );
  }

  async function placeOrder(): Promise<string> {
    const response = await service.placeOrder({
      customerId: newCustomer(),
      items: [{ sku: 'MUG-BLUE-350', quantity: 1 }],
    });
    const order = await orderOf(response);
    expect(order.status).toBe('CONFIRMED');
    return order.id;
  }

  async function spanOf(name: string, orderId: string): Promise<Span> {
    const span = (await telemetry.spans()).find(
      (candidate) => candidate.name === name && candidate.attributes['mesh.order.id'] === orderId,
    );
    if (!span) throw new Error(`no ${name} span for ${orderId}`);
    return span;
  }

  /** The trace id of the traceparent the order's charge reached payment with. */
  function chargeTraceOf(orderId: string): string {
    const charge = service.payment
      .callsTo('charge')
      .find((call) => (call.body as { orderId?: string }).orderId === orderId);
    return parseTraceparent(charge?.headers.traceparent as string | undefined).traceId;
  }

  describe('order-payment-propagation-broken', () => {
    it('when switched on, then the charge reaches payment in a trace of its own, and in the order trace again once off', async () => {
      const before = await placeOrder();
      const beforeTrace = (await spanOf('place order', before)).spanContext().traceId;
      expect(chargeTraceOf(before)).toBe(beforeTrace);

      await switchTo('order-payment-propagation-broken', true);
      const broken = await placeOrder();
      const placement = await spanOf('place order', broken);
      const charge = await spanOf('charge payment', broken);
      // The step is still traced where it was: only the call leaves the trace.
      expect(charge.spanContext().traceId).toBe(placement.spanContext().traceId);
      expect(chargeTraceOf(broken)).not.toBe(placement.spanContext().traceId);
      // The HTTP client span of that call is the root of the other trace.
      const client = (await telemetry.spans()).find(
        (span) => span.spanContext().traceId === chargeTraceOf(broken),
      );
      expect(client?.parentSpanContext).toBeUndefined();
      // What else the call carries is unchanged: the payment still charged.
      expect(service.payment.callsTo('charge')).toHaveLength(2);

      await switchTo('order-payment-propagation-broken', false);
      const after = await placeOrder();
      expect(chargeTraceOf(after)).toBe((await spanOf('place order', after)).spanContext().traceId);
    }, 60_000);
  });

  describe('order-kafka-headers-dropped', () => {
    /**
     * The relay's producer, doing at send what the kafkajs instrumentation does (it does not
     * run under jest): the active trace context goes into each message's headers.
     */
    function tracingProducer(): Producer {
      const producer = createOutboxProducer(kafka);
      closers.push(() => producer.disconnect());
      const send: Producer['send'] = (record) => {
        for (const message of record.messages) {
          message.headers = message.headers ?? {};
          propagation.inject(context.active(), message.headers);
        }
        return producer.send(record);
      };
      return { ...producer, send };
    }

    const headersOf = (orderId: string) =>
      eventually(() => {
        const message = onTopic.find((candidate) => candidate.key?.toString() === orderId);
        if (!message) return undefined;
        return Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
        );
      }, `the event of ${orderId} on the topic`);

    it('when switched on, then order events go out without trace headers but with their own, and with them again once off', async () => {
      const producer = tracingProducer();
      const publishPass = () =>
        publishPendingEvents({
          pool: service.pool,
          topic,
          producer,
          batchSize: 10,
          maxAttempts: 5,
          metrics: service.deps.metrics,
          logger,
          faults,
        });
      await publishPass();

      const before = await placeOrder();
      await publishPass();
      const beforeHeaders = await headersOf(before);
      expect(parseTraceparent(beforeHeaders.traceparent).traceId).toBe(
        (await spanOf('place order', before)).spanContext().traceId,
      );

      await switchTo('order-kafka-headers-dropped', true);
      const dropped = await placeOrder();
      const [row] = await outboxRows(service.pool, [dropped]);
      expect(await publishPass()).toEqual({ published: 1, failed: false });
      expect(await headersOf(dropped)).toEqual({
        [EVENT_HEADERS.id]: row?.id,
        [EVENT_HEADERS.type]: 'order.confirmed',
      });
      // The relay's own span still joins the order's trace.
      expect((await spanOf('publish order event', dropped)).spanContext().traceId).toBe(
        (await spanOf('place order', dropped)).spanContext().traceId,
      );

      await switchTo('order-kafka-headers-dropped', false);
      const after = await placeOrder();
      await publishPass();
      expect(parseTraceparent((await headersOf(after)).traceparent).traceId).toBe(
        (await spanOf('place order', after)).spanContext().traceId,
      );
    }, 60_000);
  });

  describe('order-relay-stalled', () => {
    let relay: OutboxRelay | undefined;
    afterEach(async () => {
      await relay?.stop();
      service.deps.outbox.wake = () => {};
    });

    async function gauge(name: string): Promise<number> {
      const points = (await telemetry.collectMetrics())
        .flatMap((resource) => resource.scopeMetrics)
        .filter((scope) => scope.scope.name === '@mesh/order')
        .flatMap((scope) => scope.metrics)
        .filter((data) => data.descriptor.name === name)
        .flatMap((data) => data.dataPoints as { value: unknown }[]);
      return points.reduce((sum, point) => sum + (point.value as number), 0);
    }

    it('when switched on, then orders confirm while their events wait in the outbox and the gauges climb; once off, the backlog goes out in each order trace', async () => {
      relay = startOutboxRelay({
        pool: service.pool,
        kafka,
        topic: spec,
        pollIntervalMs: 20,
        batchSize: 10,
        maxAttempts: 5,
        retentionMs: 86_400_000,
        metrics: service.deps.metrics,
        logger,
        faults,
      });
      const running = relay;
      service.deps.outbox.wake = () => running.wake();
      await eventually(
        async () => ((await gauge('mesh.outbox.pending')) === 0 ? true : undefined),
        'the outbox drained before the stall',
      );

      await switchTo('order-relay-stalled', true);
      const waiting = [await placeOrder(), await placeOrder()];
      // Many passes (one per 20 ms) with nothing published.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const rows = await outboxRows(service.pool, waiting);
      expect(rows.map((row) => row.published_at)).toEqual([null, null]);
      expect(await gauge('mesh.outbox.pending')).toBe(2);
      expect(await gauge('mesh.outbox.oldest.age')).toBeGreaterThanOrEqual(0.9);
      const stallWarnings = lines.filter((line) => line.msg.includes('order-relay-stalled'));
      expect(stallWarnings.map((line) => line.level)).toEqual(['warn']);
      expect((await telemetry.spans()).map((span) => span.name)).not.toContain(
        'publish order event',
      );

      await switchTo('order-relay-stalled', false);
      await eventually(
        async () => ((await gauge('mesh.outbox.pending')) === 0 ? true : undefined),
        'the backlog published',
      );
      expect(await gauge('mesh.outbox.oldest.age')).toBe(0);
      for (const orderId of waiting) {
        const publish = await spanOf('publish order event', orderId);
        expect(publish.spanContext().traceId).toBe(
          (await spanOf('place order', orderId)).spanContext().traceId,
        );
        expect(publish.attributes['mesh.outbox.delay_ms']).toBeGreaterThanOrEqual(1_000);
      }
    }, 60_000);
  });
});
