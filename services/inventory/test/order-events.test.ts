import { randomBytes, randomUUID } from 'node:crypto';
import {
  DEAD_LETTER_HEADERS,
  deadLetterTopic,
  type OrderEvent,
  type Product,
} from '@mesh/contracts';
import type { BackgroundConsumer } from '@mesh/service-kit';
import {
  createKafka,
  ensureTopics,
  type Kafka,
  type KafkaMessage,
  type Producer,
} from '@mesh/service-kit';
import { eventually, startKafka, type TestKafka, uniqueName } from '@mesh/testkit';
import { releaseExpiredReservations } from '../src/domain/expire-reservations';
import { startOrderEventsConsumer } from '../src/messaging/order-events.consumer';
import {
  countRows,
  logger,
  newOrderId,
  reservationStatus,
  reserve,
  startInventory,
  stockOf,
  type TestInventory,
} from './support';

type Message = { key: string; value: string; headers?: Record<string, string> };

/** The event the order service publishes when an order reaches its terminal state. */
function orderEvent(type: OrderEvent['type'], orderId: string): OrderEvent {
  const end =
    type === 'order.confirmed'
      ? { type, status: 'CONFIRMED' as const }
      : { type, status: 'PAYMENT_FAILED' as const, reason: 'payment declined' };
  return {
    id: randomUUID(),
    occurredAt: new Date().toISOString(),
    orderId,
    customerId: 'ada',
    items: [{ sku: 'STICKER-LOGO', quantity: 1, unitPriceCents: 250 }],
    totalCents: 250,
    currency: 'EUR',
    ...end,
  };
}

const asMessage = (event: OrderEvent): Message => ({
  key: event.orderId,
  value: JSON.stringify(event),
});

describe('order events from a real Kafka broker', () => {
  let service: TestInventory;
  let broker: TestKafka;
  let kafka: Kafka;
  let producer: Producer;
  let consumer: BackgroundConsumer;
  let dlqReader: ReturnType<Kafka['consumer']>;
  const deadLetters: KafkaMessage[] = [];
  const topic = uniqueName('order-events');
  const groupId = uniqueName('inventory');
  const dlqTopic = deadLetterTopic(topic, groupId);

  beforeAll(async () => {
    [service, broker] = await Promise.all([startInventory(), startKafka()]);
    kafka = createKafka({ clientId: 'inventory-test', brokers: broker.brokers, logger });
    // One partition: every later event of this file is "the next event on the partition".
    const spec = { numPartitions: 1, replicationFactor: 1 };
    await ensureTopics(kafka, [
      { topic, ...spec },
      { topic: dlqTopic, ...spec },
    ]);
    consumer = startOrderEventsConsumer(service.inventory, {
      kafka,
      topic,
      groupId,
      maxAttempts: 2,
      topicLayout: { numPartitions: 1, replicationFactor: 1 },
    });
    producer = kafka.producer({ allowAutoTopicCreation: false });
    dlqReader = kafka.consumer({ groupId: uniqueName('dlq-reader') });
    await Promise.all([consumer.started, producer.connect(), dlqReader.connect()]);
    await dlqReader.subscribe({ topic: dlqTopic, fromBeginning: true });
    await dlqReader.run({
      eachMessage: async ({ message }) => {
        deadLetters.push(message);
      },
    });
  });
  afterAll(async () => {
    // Together: each consumer's disconnect waits for its fetch long-poll (up to 5 s).
    await Promise.all([consumer?.stop(), dlqReader?.disconnect(), producer?.disconnect()]);
    await service?.stop();
    await broker?.stop();
  });

  const publish = (...messages: Message[]) => producer.send({ topic, messages });
  const reserveOne = async (sku: string, quantity: number) => {
    const orderId = newOrderId();
    const response = await reserve(service.app, { orderId, items: [{ sku, quantity }] });
    expect(response.statusCode).toBe(201);
    return orderId;
  };
  const statusBecomes = (orderId: string, status: string) =>
    eventually(
      async () => ((await reservationStatus(service.pool, orderId)) === status ? true : undefined),
      `reservation ${orderId} to be ${status}`,
    );
  const claimed = async (eventId: string) => {
    const { rows } = await service.pool.query(
      'SELECT 1 FROM processed_messages WHERE event_id = $1',
      [eventId],
    );
    return rows.length === 1;
  };
  /**
   * Publishes a confirmation for a fresh reservation and waits until it is committed: every
   * event published before it on the partition has then been consumed and acknowledged.
   */
  const publishMarkerAndWait = async () => {
    const orderId = await reserveOne('STICKER-SPAN', 1);
    await publish(asMessage(orderEvent('order.confirmed', orderId)));
    await statusBecomes(orderId, 'COMMITTED');
  };

  it('when order.confirmed arrives for a RESERVED reservation, then it is COMMITTED and its stock stays taken', async () => {
    const orderId = await reserveOne('MUG-BLUE-350', 2);
    const event = orderEvent('order.confirmed', orderId);

    await publish(asMessage(event));

    await statusBecomes(orderId, 'COMMITTED');
    expect(await stockOf(service.pool, 'MUG-BLUE-350')).toBe(238);
    expect(await claimed(event.id)).toBe(true);
  });

  it('when order.cancelled arrives, then the reservation is RELEASED, the stock is back and the cached product shows it', async () => {
    const sku = 'MUG-WHITE-350';
    const orderId = await reserveOne(sku, 3);
    const product = () => service.app.inject({ method: 'GET', url: `/products/${sku}` });
    expect((await product()).json<Product>().stock).toBe(307);
    expect(await service.redis.get(`product:${sku}`)).not.toBeNull();

    await publish(asMessage(orderEvent('order.cancelled', orderId)));

    await statusBecomes(orderId, 'RELEASED');
    expect(await stockOf(service.pool, sku)).toBe(310);
    // The cached 307 would be served for its whole TTL (60 s) unless the release dropped it.
    await eventually(
      async () => ((await product()).json<Product>().stock === 310 ? true : undefined),
      'the cached product to show the returned stock',
      { timeoutMs: 5_000 },
    );
  });

  it('when the same event is delivered three times, then the stock is returned once and one claim is stored', async () => {
    const sku = 'NOTEBOOK-A5-LINED';
    const orderId = await reserveOne(sku, 4);
    expect(await stockOf(service.pool, sku)).toBe(166);
    const claimsBefore = await countRows(service.pool, 'processed_messages');
    const message = asMessage(orderEvent('order.cancelled', orderId));

    await publish(message, message, message);
    await publishMarkerAndWait();

    expect(await reservationStatus(service.pool, orderId)).toBe('RELEASED');
    expect(await stockOf(service.pool, sku)).toBe(170);
    // The event's claim and the marker's: the two redeliveries stored nothing.
    expect(await countRows(service.pool, 'processed_messages')).toBe(claimsBefore + 2);
  });

  it('when PostgreSQL fails while an event is applied, then the claim rolls back with it and the event is retried until it applies, not dead-lettered', async () => {
    const sku = 'PENCIL-SET-6';
    const orderId = await reserveOne(sku, 2);
    const event = orderEvent('order.cancelled', orderId);
    // The first three status changes of this reservation fail the way a failover does
    // (40001: retry the transaction). A sequence, because it does not roll back.
    const name = `flaky_${randomBytes(4).toString('hex')}`;
    await service.pool.query(`CREATE SEQUENCE ${name}`);
    await service.pool.query(`
      CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.order_id = '${orderId}' THEN
          IF nextval('${name}') <= 3 THEN
            RAISE EXCEPTION 'simulated failover' USING ERRCODE = '40001';
          END IF;
        END IF;
        RETURN NEW;
      END $$`);
    await service.pool.query(
      `CREATE TRIGGER ${name} BEFORE UPDATE ON reservations FOR EACH ROW EXECUTE FUNCTION ${name}()`,
    );
    try {
      await publish(asMessage(event));
      await statusBecomes(orderId, 'RELEASED');
    } finally {
      await service.pool.query(`DROP TRIGGER ${name} ON reservations`);
      await service.pool.query(`DROP FUNCTION ${name}()`);
    }
    // Three failed attempts (more than maxAttempts) and the fourth that applied it.
    const { rows } = await service.pool.query(`SELECT last_value FROM ${name}`);
    expect(Number(rows[0].last_value)).toBe(4);
    expect(await stockOf(service.pool, sku)).toBe(140);
    expect(await claimed(event.id)).toBe(true);
  });

  it('when the event is for an order without a reservation, then nothing changes and the next event on the partition is still processed', async () => {
    const rejected: OrderEvent = {
      ...orderEvent('order.cancelled', newOrderId()),
      status: 'REJECTED',
      reason: 'out of stock',
    };
    const reservationsBefore = await countRows(service.pool, 'reservations');
    const stickersBefore = await stockOf(service.pool, 'STICKER-LOGO');

    await publish(asMessage(rejected));
    await publishMarkerAndWait();

    expect(await reservationStatus(service.pool, rejected.orderId)).toBeUndefined();
    // The marker's reservation is the only new one; the event's items were not touched.
    expect(await countRows(service.pool, 'reservations')).toBe(reservationsBefore + 1);
    expect(await stockOf(service.pool, 'STICKER-LOGO')).toBe(stickersBefore);
    expect(await claimed(rejected.id)).toBe(true);
  });

  it('when a cancel arrives for a COMMITTED reservation or a confirmation for a RELEASED one, then both stay as they are and the events are acknowledged', async () => {
    const sold = await reserveOne('MOUSEPAD-XL', 2);
    const commit = await service.app.inject({
      method: 'POST',
      url: `/reservations/${sold}/commit`,
    });
    expect(commit.statusCode).toBe(200);
    // Released by the expiry sweep before the order's confirmation arrived.
    const expired = await reserveOne('TOTE-CANVAS', 3);
    await service.pool.query(
      "UPDATE reservations SET expires_at = now() - interval '1 second' WHERE order_id = $1",
      [expired],
    );
    expect(await releaseExpiredReservations(service.inventory)).toBe(1);
    const cancel = orderEvent('order.cancelled', sold);
    const confirm = orderEvent('order.confirmed', expired);

    await publish(asMessage(cancel), asMessage(confirm));
    await publishMarkerAndWait();

    expect(await reservationStatus(service.pool, sold)).toBe('COMMITTED');
    expect(await stockOf(service.pool, 'MOUSEPAD-XL')).toBe(63);
    expect(await reservationStatus(service.pool, expired)).toBe('RELEASED');
    expect(await stockOf(service.pool, 'TOTE-CANVAS')).toBe(190);
    // Claimed means processed and acknowledged: a failed attempt would have rolled it back.
    expect(await claimed(cancel.id)).toBe(true);
    expect(await claimed(confirm.id)).toBe(true);
  });

  // Last in the file: the dead-letter topic then shows everything this file dead-lettered.
  it('when poison messages arrive, then they land on the dead-letter topic and the partition keeps flowing', async () => {
    const valid = orderEvent('order.confirmed', newOrderId());
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await publish(
      { key: 'garbage', value: '{not json', headers: { traceparent } },
      { key: 'invalid', value: JSON.stringify({ ...valid, totalCents: -5 }) },
      { key: 'mismatch', value: JSON.stringify({ ...valid, status: 'REJECTED' }) },
    );
    await publishMarkerAndWait();
    await eventually(
      async () => (deadLetters.length >= 3 ? true : undefined),
      'three dead letters',
    );

    // The poison messages being all of the dead-letter topic proves no earlier event of this
    // file was dead-lettered. Their keys differ, so the consumer handles them at once, in no
    // particular order.
    expect(deadLetters.map((message) => message.key?.toString()).sort()).toEqual([
      'garbage',
      'invalid',
      'mismatch',
    ]);
    const header = (message: KafkaMessage | undefined, name: string) =>
      message?.headers?.[name]?.toString();
    const [garbage, invalid, mismatch] = ['garbage', 'invalid', 'mismatch'].map((key) =>
      deadLetters.find((message) => message.key?.toString() === key),
    );
    expect(garbage?.value?.toString()).toBe('{not json');
    expect(header(garbage, DEAD_LETTER_HEADERS.error)).toMatch(/not JSON/);
    expect(header(garbage, DEAD_LETTER_HEADERS.attempts)).toBe('2');
    expect(header(garbage, DEAD_LETTER_HEADERS.topic)).toBe(topic);
    expect(header(garbage, DEAD_LETTER_HEADERS.group)).toBe(groupId);
    expect(header(garbage, DEAD_LETTER_HEADERS.traceparent)).toBe(traceparent);
    expect(header(invalid, DEAD_LETTER_HEADERS.error)).toMatch(/totalCents/);
    expect(header(mismatch, DEAD_LETTER_HEADERS.error)).toMatch(/order.confirmed with status/);
  });
});
