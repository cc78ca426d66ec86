import { type Order, OrderEvent } from '@mesh/contracts';
import { compileValidator } from '@mesh/service-kit';
import { startInMemoryTelemetry } from '@mesh/telemetry-testing';
import { uniqueName } from '@mesh/testkit';
import { purgePublishedEvents } from '../src/data/outbox.repository';
import { recoverStaleOrders } from '../src/domain/recover-orders';
import {
  newCustomer,
  type OrderServiceUnderTest,
  orderOf,
  startOrderService,
} from './support/order-service';
import { type OutboxRow, outboxRows, parseTraceparent } from './support/outbox';

// Business spans only: the trace context stored with an event is that of our own spans.
const telemetry = startInMemoryTelemetry();
const isOrderEvent = compileValidator(OrderEvent, 'body');

describe('the outbox: one event per order that reaches a terminal state', () => {
  let service: OrderServiceUnderTest;
  /** For each wake() of the relay: how many events were committed by then. */
  let wakes: Promise<number>[] = [];
  const eventCount = async () => (await outboxRows(service.pool)).length;

  beforeAll(async () => {
    service = await startOrderService({ paymentTimeoutMs: 300 });
    // Counted on another connection, which sees committed rows only.
    service.deps.outbox.wake = () => wakes.push(eventCount());
  });
  afterEach(() => {
    service.reset();
    telemetry.reset();
    wakes = [];
  });
  afterAll(async () => {
    await service.close();
    await telemetry.shutdown();
  });

  const line = { sku: 'MUG-BLUE-350', quantity: 2 };

  async function place(items = [line]): Promise<{ response: Response; order: Order }> {
    const response = await service.placeOrder({ customerId: newCustomer(), items });
    return { response, order: await orderOf(response) };
  }

  async function onlyEventOf(orderId: string): Promise<OutboxRow> {
    const rows = await outboxRows(service.pool, [orderId]);
    expect(rows).toHaveLength(1);
    const row = rows[0] as OutboxRow;
    expect(isOrderEvent(row.payload)).toBe(true);
    expect(row).toMatchObject({
      id: row.payload.id,
      order_id: orderId,
      event_type: row.payload.type,
      published_at: null,
      attempts: 0,
      last_error: null,
    });
    return row;
  }

  /** The stored context is a span of the trace of `root` (the span with this name and order). */
  async function expectStoredInTraceOf(row: OutboxRow, root: string): Promise<void> {
    const spans = await telemetry.spans();
    const rootSpan = spans.find(
      (span) => span.name === root && span.attributes['mesh.order.id'] === row.order_id,
    );
    expect(rootSpan).toBeDefined();
    const stored = parseTraceparent(row.trace_context.traceparent);
    expect(stored.traceId).toBe(rootSpan?.spanContext().traceId);
    const parent = spans.find((span) => span.spanContext().spanId === stored.spanId);
    expect(parent?.spanContext().traceId).toBe(stored.traceId);
  }

  it('when an order is CONFIRMED, then one order.confirmed event with the order is written, in the trace of its place order span', async () => {
    const customerId = newCustomer();
    const response = await service.placeOrder({
      customerId,
      items: [line, { sku: 'TEE-BLACK-M', quantity: 1 }],
    });
    expect(response.status).toBe(201);
    const order = await orderOf(response);
    expect(order.status).toBe('CONFIRMED');

    const row = await onlyEventOf(order.id);
    expect(row.payload).toEqual({
      id: expect.any(String),
      type: 'order.confirmed',
      occurredAt: order.history.at(-1)?.at,
      orderId: order.id,
      customerId,
      status: 'CONFIRMED',
      items: [
        { sku: 'MUG-BLUE-350', quantity: 2, unitPriceCents: 1_250 },
        { sku: 'TEE-BLACK-M', quantity: 1, unitPriceCents: 2_000 },
      ],
      totalCents: 4_500,
      currency: 'EUR',
    });
    await expectStoredInTraceOf(row, 'place order');
    // The best-effort commit over HTTP still happens at once.
    expect(service.inventory.callsTo('commit')).toHaveLength(1);
  });

  it('when an order is REJECTED, then one order.cancelled event with the reason is written', async () => {
    service.inventory.stock.set('MUG-BLUE-350', 1);
    const { response, order } = await place([{ sku: 'MUG-BLUE-350', quantity: 3 }]);
    expect(response.status).toBe(201);
    expect(order.status).toBe('REJECTED');

    const row = await onlyEventOf(order.id);
    expect(row.payload).toMatchObject({
      type: 'order.cancelled',
      status: 'REJECTED',
      reason: 'out-of-stock: MUG-BLUE-350: 1 left, 3 asked',
      items: [{ sku: 'MUG-BLUE-350', quantity: 3, unitPriceCents: 0 }],
      totalCents: 0,
    });
    await expectStoredInTraceOf(row, 'place order');
  });

  it('when the payment is declined, then one order.cancelled PAYMENT_FAILED event is written', async () => {
    service.payment.behaviour.charge = 'decline';
    const { order } = await place();
    expect(order.status).toBe('PAYMENT_FAILED');

    const row = await onlyEventOf(order.id);
    expect(row.payload).toMatchObject({
      type: 'order.cancelled',
      status: 'PAYMENT_FAILED',
      reason: 'declined: insufficient-funds',
      totalCents: 2_500,
    });
    await expectStoredInTraceOf(row, 'place order');
    expect(service.inventory.callsTo('release')).toHaveLength(1);
  });

  it('when payment is unavailable and the charge is undone, then the 503 order still has its PAYMENT_FAILED event', async () => {
    service.payment.behaviour.charge = 'unavailable';
    const customerId = newCustomer();
    const response = await service.placeOrder({ customerId, items: [line] });
    expect(response.status).toBe(503);
    const [stored] = await service.ordersOf(customerId);

    const row = await onlyEventOf(stored?.id as string);
    expect(row.payload).toMatchObject({
      type: 'order.cancelled',
      status: 'PAYMENT_FAILED',
      reason: 'payment-unavailable',
    });
    await expectStoredInTraceOf(row, 'place order');
  });

  it('when an event is committed, then the relay is woken once, after the commit', async () => {
    const before = await eventCount();
    service.payment.behaviour.charge = 'decline';
    await place();
    expect(await Promise.all(wakes)).toEqual([before + 1]);
  });

  it('when a request is refused with a 4xx or fails before persisting, then no event is written', async () => {
    const before = (await outboxRows(service.pool)).length;

    const unknown = await service.placeOrder({
      customerId: newCustomer(),
      items: [{ sku: 'NO-SUCH-THING', quantity: 1 }],
    });
    expect(unknown.status).toBe(422);
    const invalid = await service.placeOrder({ customerId: newCustomer(), items: [] });
    expect(invalid.status).toBe(400);
    service.inventory.behaviour.reserve = 'unavailable';
    const down = await service.placeOrder({ customerId: newCustomer(), items: [line] });
    expect(down.status).toBe(503);

    expect(await outboxRows(service.pool)).toHaveLength(before);
    expect(wakes).toHaveLength(0);
  });

  it('when a request is replayed with its Idempotency-Key, then the order still has one event', async () => {
    const body = { customerId: newCustomer(), items: [line] };
    const headers = { 'idempotency-key': uniqueName('key') };
    const first = await orderOf(await service.placeOrder(body, headers));
    const again = await service.placeOrder(body, headers);
    expect(again.status).toBe(200);

    await onlyEventOf(first.id);
  });

  it('when the outbox cannot be written, then the status change is rolled back with it', async () => {
    await service.pool.query(
      'ALTER TABLE outbox ADD CONSTRAINT refuse_events CHECK (false) NOT VALID',
    );
    let left: Order;
    try {
      const customerId = newCustomer();
      const response = await service.placeOrder({ customerId, items: [line] });
      expect(response.status).toBe(500);
      const [stored] = await service.ordersOf(customerId);
      left = await orderOf(await service.getOrder(stored?.id as string));
    } finally {
      await service.pool.query('ALTER TABLE outbox DROP CONSTRAINT refuse_events');
    }
    // Charged but not CONFIRMED: the recovery job finishes it, event and all.
    expect(left.status).toBe('STOCK_RESERVED');
    expect(left.history.map((entry) => entry.status)).toEqual(['PENDING', 'STOCK_RESERVED']);
    expect(await outboxRows(service.pool, [left.id])).toEqual([]);
    expect(wakes).toHaveLength(0);

    await recoverStaleOrders(service.deps, { afterMs: 0 });
    expect((await onlyEventOf(left.id)).payload.status).toBe('CONFIRMED');
  });

  describe('the recovery job', () => {
    /** A request whose charge failed and could not be undone: left STOCK_RESERVED, no event. */
    async function orderLeftInProgress(): Promise<Order> {
      service.payment.behaviour.charge = 'unavailable';
      service.payment.behaviour.void = 'unavailable';
      const customerId = newCustomer();
      expect((await service.placeOrder({ customerId, items: [line] })).status).toBe(202);
      const [stored] = await service.ordersOf(customerId);
      expect(stored?.status).toBe('STOCK_RESERVED');
      expect(await outboxRows(service.pool, [stored?.id as string])).toEqual([]);
      service.recoverDependencies();
      telemetry.reset();
      return orderOf(await service.getOrder(stored?.id as string));
    }

    it('when it confirms an order, then one order.confirmed event is written in its trace, and a later pass adds none', async () => {
      const left = await orderLeftInProgress();
      service.payment.payments.set(left.id, service.payment.paymentFor(left.id, 'CHARGED'));
      const before = await eventCount();

      expect(await recoverStaleOrders(service.deps, { afterMs: 0 })).toMatchObject({
        confirmed: 1,
      });
      const row = await onlyEventOf(left.id);
      expect(row.payload).toMatchObject({ type: 'order.confirmed', status: 'CONFIRMED' });
      await expectStoredInTraceOf(row, 'recover order');
      expect(await Promise.all(wakes)).toEqual([before + 1]);

      await recoverStaleOrders(service.deps, { afterMs: 0 });
      await onlyEventOf(left.id);
    });

    it('when it abandons an order, then one order.cancelled PAYMENT_FAILED event is written in its trace', async () => {
      const left = await orderLeftInProgress();

      expect(await recoverStaleOrders(service.deps, { afterMs: 0 })).toMatchObject({
        abandoned: 1,
      });
      const row = await onlyEventOf(left.id);
      expect(row.payload).toMatchObject({
        type: 'order.cancelled',
        status: 'PAYMENT_FAILED',
        reason: 'abandoned',
      });
      await expectStoredInTraceOf(row, 'recover order');
    });
  });

  it('when published events are older than the retention, then they are purged and unpublished ones never are', async () => {
    await service.pool.query('DELETE FROM outbox');
    const ids = ['published-old', 'published-new', 'pending-old'].map(() => crypto.randomUUID());
    const insert = (id: string, createdAgo: string, publishedAgo: string | null) =>
      service.pool.query(
        `INSERT INTO outbox (id, order_id, event_type, payload, created_at, published_at)
         VALUES ($1, $1, 'order.confirmed', '{}', now() - $2::interval,
                 now() - $3::interval)`,
        [id, createdAgo, publishedAgo],
      );
    await insert(ids[0] as string, '3 hours', '2 hours');
    await insert(ids[1] as string, '3 minutes', '2 minutes');
    await insert(ids[2] as string, '3 hours', null);

    expect(await purgePublishedEvents(service.pool, 60 * 60 * 1_000)).toBe(1);
    const { rows } = await service.pool.query<{ id: string }>('SELECT id FROM outbox ORDER BY id');
    expect(rows.map((row) => row.id).sort()).toEqual([ids[1], ids[2]].sort());
  });
});
