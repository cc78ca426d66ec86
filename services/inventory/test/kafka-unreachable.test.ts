import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Product, Reservation } from '@mesh/contracts';
import type { BackgroundConsumer } from '@mesh/service-kit';
import { createKafka } from '@mesh/service-kit';
import { eventually, startKafka, type TestKafka, uniqueName } from '@mesh/testkit';
import { startOrderEventsConsumer } from '../src/messaging/order-events.consumer';
import {
  logger,
  newOrderId,
  reservationStatus,
  startInventory,
  type TestInventory,
} from './support';

/**
 * A broker address that is unreachable until `open()`: connections are reset at once (like
 * 127.0.0.1:1), afterwards they are forwarded to the real broker. Not 127.0.0.1:1 itself: the
 * consumer's stop() waits for a start attempt under way, and against a broker that never answers
 * that attempt lasts kafkajs's whole retry budget (about 24 s); letting the broker "come back"
 * ends it in a second and also shows that the consumer joins late.
 */
async function startGate(upstream: string) {
  const [host, port] = upstream.split(':');
  const sockets = new Set<Socket>();
  let open = false;
  let refused = 0;
  const server: Server = createServer((socket) => {
    if (!open) {
      refused += 1;
      socket.resetAndDestroy();
      return;
    }
    const target = connect(Number(port), host ?? '127.0.0.1');
    for (const end of [socket, target]) {
      sockets.add(end);
      end.on('close', () => sockets.delete(end));
      // A reset on one side closes the other; nothing to report in a test.
      end.on('error', () => undefined);
    }
    socket.pipe(target).pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('the gate has no address');
  return {
    address: `127.0.0.1:${address.port}`,
    refused: () => refused,
    open: () => {
      open = true;
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Whether `promise` settles within `ms`. */
const settlesWithin = (promise: Promise<unknown>, ms: number) =>
  Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms)),
  ]);

describe('inventory while Kafka is unreachable', () => {
  let service: TestInventory;
  let broker: TestKafka;
  let gate: Awaited<ReturnType<typeof startGate>>;
  let base: string;
  /** The replica under test, and a second one that is stopped before the broker answers. */
  let consumer: BackgroundConsumer;
  let stoppedEarly: BackgroundConsumer;
  const topic = uniqueName('order-events');
  const earlyGroupId = uniqueName('inventory-early');
  const orderId = newOrderId();

  const consumerIn = (groupId: string) =>
    startOrderEventsConsumer(service.inventory, {
      kafka: createKafka({ clientId: 'inventory-test', brokers: [gate.address], logger }),
      topic,
      groupId,
      maxAttempts: 2,
      topicLayout: { numPartitions: 1, replicationFactor: 1 },
    });

  beforeAll(async () => {
    [service, broker] = await Promise.all([startInventory(), startKafka()]);
    gate = await startGate(broker.brokers[0] as string);
    // As main.ts does: the app listens, then the consumer is started and not awaited.
    await service.app.listen({ port: 0, host: '127.0.0.1' });
    const address = service.app.server.address();
    if (typeof address !== 'object' || !address) throw new Error('the app has no address');
    base = `http://127.0.0.1:${address.port}`;
    consumer = consumerIn(uniqueName('inventory'));
    stoppedEarly = consumerIn(earlyGroupId);
  });
  afterAll(async () => {
    gate?.open();
    const admin = createKafka({
      clientId: 'inventory-test',
      brokers: broker.brokers,
      logger,
    }).admin();
    await admin.connect();
    const groupLeft = async () => {
      const { groups } = await admin.describeGroups([earlyGroupId]);
      return groups[0]?.state === 'Empty' ? true : undefined;
    };
    try {
      await Promise.all([
        consumer?.stop(),
        // The early-stopped replica's start attempt completes now that the broker answers, and
        // then stops what it started: nothing of it may outlive the test.
        stoppedEarly?.started.then(() =>
          eventually(groupLeft, 'the early-stopped replica to leave'),
        ),
      ]);
    } finally {
      await admin.disconnect();
    }
    await service?.stop();
    await gate?.close();
    await broker?.stop();
  });

  it('when Kafka is unreachable at start, then the HTTP API serves and is ready', async () => {
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    const product = await fetch(`${base}/products/STICKER-HOLO`);
    expect(product.status).toBe(200);
    expect(((await product.json()) as Product).stock).toBe(2);
    const reserved = await fetch(`${base}/reservations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderId, items: [{ sku: 'STICKER-HOLO', quantity: 1 }] }),
    });
    expect(reserved.status).toBe(201);
    expect(((await reserved.json()) as Reservation).status).toBe('RESERVED');
    // All of that while the consumers could not reach the broker.
    expect(gate.refused()).toBeGreaterThan(0);
    expect(await settlesWithin(consumer.started, 200)).toBe(false);
  });

  it('when the service stops before Kafka answers, then stopping the consumer does not wait for its start attempt', async () => {
    const began = Date.now();
    await stoppedEarly.stop();
    expect(Date.now() - began).toBeLessThan(3_000);
  });

  it('when the broker answers, then the consumer joins and applies order events', async () => {
    gate.open();
    await consumer.started;
    const producer = createKafka({
      clientId: 'inventory-test',
      brokers: broker.brokers,
      logger,
    }).producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      const event = {
        id: randomUUID(),
        type: 'order.confirmed',
        occurredAt: new Date().toISOString(),
        orderId,
        customerId: 'ada',
        status: 'CONFIRMED',
        items: [{ sku: 'STICKER-HOLO', quantity: 1, unitPriceCents: 450 }],
        totalCents: 450,
        currency: 'EUR',
      };
      await producer.send({ topic, messages: [{ key: orderId, value: JSON.stringify(event) }] });
    } finally {
      await producer.disconnect();
    }
    await eventually(
      async () =>
        (await reservationStatus(service.pool, orderId)) === 'COMMITTED' ? true : undefined,
      'the reservation to be committed',
    );
  });
});
