import { randomUUID } from 'node:crypto';
import type { OrderEvent } from '@mesh/contracts';
import { startInMemoryTelemetry } from '@mesh/telemetry-testing';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { applyOrderEvent } from '../src/domain/apply-order-event';
import { releaseExpiredReservations } from '../src/domain/expire-reservations';
import {
  newOrderId,
  pointsOf,
  reserve,
  setStock,
  startInventory,
  type TestInventory,
  valueFor,
} from './support';

// Before the app is built, so its tracer and meter come from this SDK. With the framework spans:
// jest makes no http SERVER span, and @fastify/otel's request span stands in for it.
const telemetry = startInMemoryTelemetry({ frameworkSpans: true });

describe('business telemetry', () => {
  let service: TestInventory;
  beforeAll(async () => {
    service = await startInventory();
  });
  afterEach(() => telemetry.reset());
  afterAll(async () => {
    await service.stop();
    await telemetry.shutdown();
  });

  const spanNamed = async (name: string) => {
    const spans = await telemetry.spans();
    const span = spans.find((candidate) => candidate.name === name);
    if (!span) throw new Error(`no span "${name}" among ${spans.map((s) => s.name).join(', ')}`);
    return span;
  };

  it('when stock is reserved, released and committed, then each step has its span', async () => {
    const released = newOrderId();
    const committed = newOrderId();
    const items = [
      { sku: 'PEN-GEL-BLACK', quantity: 1 },
      { sku: 'PEN-GEL-BLUE', quantity: 2 },
    ];
    expect((await reserve(service.app, { orderId: released, items })).statusCode).toBe(201);
    const reserveSpan = await spanNamed('reserve stock');
    expect(reserveSpan.kind).toBe(SpanKind.INTERNAL);
    expect(reserveSpan.attributes).toMatchObject({
      'mesh.order.id': released,
      'mesh.inventory.item_count': 2,
    });
    expect(reserveSpan.status.code).toBe(SpanStatusCode.UNSET);

    await service.app.inject({ method: 'POST', url: `/reservations/${released}/release` });
    expect((await spanNamed('release stock')).attributes).toMatchObject({
      'mesh.order.id': released,
      'mesh.inventory.item_count': 2,
    });

    await reserve(service.app, { orderId: committed, items });
    await service.app.inject({ method: 'POST', url: `/reservations/${committed}/commit` });
    expect((await spanNamed('commit reservation')).attributes).toMatchObject({
      'mesh.order.id': committed,
      'mesh.inventory.item_count': 2,
    });
  });

  it('when a line is out of stock, then the reserve span has an out-of-stock event naming the sku', async () => {
    await setStock(service.pool, 'BEANIE-CHARCOAL', 1);
    const response = await reserve(service.app, {
      orderId: newOrderId(),
      items: [
        { sku: 'BEANIE-CHARCOAL', quantity: 2 },
        { sku: 'TOTE-CANVAS', quantity: 1 },
      ],
    });
    expect(response.statusCode).toBe(409);
    const span = await spanNamed('reserve stock');
    expect(span.events.filter((event) => event.name === 'out-of-stock')).toEqual([
      expect.objectContaining({ attributes: { 'mesh.product.sku': 'BEANIE-CHARCOAL' } }),
    ]);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('out-of-stock');
  });

  it('when a product is read twice, then the active span says whether the cache answered', async () => {
    const read = () => service.app.inject({ method: 'GET', url: '/products/STICKER-HOLO' });
    await read();
    await read();
    // Whichever span is active in the handler (the fastify instrumentation's, here) carries it.
    const marked = (await telemetry.spans()).filter(
      (span) => span.attributes['mesh.cache.hit'] !== undefined,
    );
    expect(marked.map((span) => span.attributes['mesh.cache.hit'])).toEqual([false, true]);
  });

  it('when reservations change state, then the outcome counter and the stock gauge report it', async () => {
    const before = pointsOf(await telemetry.collectMetrics(), 'mesh.inventory.reservations');
    const count = (points: typeof before, outcome: string) =>
      Number(valueFor(points, 'mesh.reservation.outcome', outcome) ?? 0);

    await setStock(service.pool, 'MUG-TRAVEL-500', 3);
    const expiring = newOrderId();
    await reserve(service.app, {
      orderId: expiring,
      items: [{ sku: 'MUG-TRAVEL-500', quantity: 2 }],
    });
    await reserve(service.app, {
      orderId: newOrderId(),
      items: [{ sku: 'MUG-TRAVEL-500', quantity: 2 }],
    });
    await service.pool.query(
      "UPDATE reservations SET expires_at = now() - interval '1 second' WHERE order_id = $1",
      [expiring],
    );
    expect(await releaseExpiredReservations(service.inventory)).toBe(1);

    const metrics = await telemetry.collectMetrics();
    const after = pointsOf(metrics, 'mesh.inventory.reservations');
    expect(count(after, 'reserved') - count(before, 'reserved')).toBe(1);
    expect(count(after, 'out_of_stock') - count(before, 'out_of_stock')).toBe(1);
    expect(count(after, 'expired') - count(before, 'expired')).toBe(1);

    const stock = pointsOf(metrics, 'mesh.inventory.stock');
    expect(stock).toHaveLength(36);
    expect(valueFor(stock, 'mesh.product.sku', 'MUG-TRAVEL-500')).toBe(3);
    expect(valueFor(stock, 'mesh.product.sku', 'TSHIRT-TRACE-L')).toBe(0);
  });

  describe('order events', () => {
    const event = (type: OrderEvent['type'], orderId: string): OrderEvent => ({
      id: randomUUID(),
      type,
      occurredAt: new Date().toISOString(),
      orderId,
      customerId: 'ada',
      status: type === 'order.confirmed' ? 'CONFIRMED' : 'PAYMENT_FAILED',
      items: [{ sku: 'COASTER-CORK-4', quantity: 1, unitPriceCents: 890 }],
      totalCents: 890,
      currency: 'EUR',
    });
    const reservationsCounter = async () => {
      const points = pointsOf(await telemetry.collectMetrics(), 'mesh.inventory.reservations');
      return (outcome: string) =>
        Number(valueFor(points, 'mesh.reservation.outcome', outcome) ?? 0);
    };
    const reserveCoaster = async () => {
      const orderId = newOrderId();
      const items = [{ sku: 'COASTER-CORK-4', quantity: 1 }];
      expect((await reserve(service.app, { orderId, items })).statusCode).toBe(201);
      return orderId;
    };
    const applySpans = async () =>
      (await telemetry.spans()).filter((span) => span.name === 'apply order event');

    it('when an order event is applied, then an apply order event span names the order, the event and the outcome, and the outcome is counted', async () => {
      const orderId = await reserveCoaster();
      const confirmed = event('order.confirmed', orderId);
      const before = await reservationsCounter();

      expect(await applyOrderEvent(service.inventory, confirmed)).toBe('committed');
      expect(await applyOrderEvent(service.inventory, confirmed)).toBe('duplicate');

      const [applied, duplicate] = await applySpans();
      expect(applied?.kind).toBe(SpanKind.INTERNAL);
      expect(applied?.attributes).toMatchObject({
        'mesh.order.id': orderId,
        'mesh.event.id': confirmed.id,
        'mesh.event.type': 'order.confirmed',
        'mesh.reservation.outcome': 'committed',
        'mesh.inventory.item_count': 1,
      });
      expect(applied?.status.code).toBe(SpanStatusCode.UNSET);
      expect(duplicate?.attributes['mesh.reservation.outcome']).toBe('duplicate');
      expect(duplicate?.events.map((e) => e.name)).toEqual(['duplicate-event-skipped']);
      const after = await reservationsCounter();
      expect(after('committed') - before('committed')).toBe(1);
    });

    it('when an order event conflicts with the reservation, then the span has a reservation-conflict event and the conflict is counted once', async () => {
      const orderId = await reserveCoaster();
      const released = await service.app.inject({
        method: 'POST',
        url: `/reservations/${orderId}/release`,
      });
      expect(released.statusCode).toBe(200);
      const confirmed = event('order.confirmed', orderId);
      const before = await reservationsCounter();

      expect(await applyOrderEvent(service.inventory, confirmed)).toBe('conflict');
      expect(await applyOrderEvent(service.inventory, confirmed)).toBe('duplicate');

      const [conflict] = await applySpans();
      expect(conflict?.attributes).toMatchObject({
        'mesh.order.id': orderId,
        'mesh.reservation.outcome': 'conflict',
        'error.type': 'reservation-conflict',
      });
      expect(conflict?.events).toEqual([
        expect.objectContaining({
          name: 'reservation-conflict',
          attributes: { 'mesh.reservation.status': 'RELEASED' },
        }),
      ]);
      expect(conflict?.status.code).toBe(SpanStatusCode.ERROR);
      const after = await reservationsCounter();
      expect(after('conflict') - before('conflict')).toBe(1);
      expect(after('committed') - before('committed')).toBe(0);
    });

    it('when the HTTP commit of a released reservation is refused, then that conflict is counted too', async () => {
      const orderId = await reserveCoaster();
      await service.app.inject({ method: 'POST', url: `/reservations/${orderId}/release` });
      const before = await reservationsCounter();
      const refused = await service.app.inject({
        method: 'POST',
        url: `/reservations/${orderId}/commit`,
      });
      expect(refused.statusCode).toBe(409);
      const after = await reservationsCounter();
      expect(after('conflict') - before('conflict')).toBe(1);
    });

    it('when the order has no reservation, then the outcome says so and nothing is counted', async () => {
      const before = await reservationsCounter();
      const cancelled = event('order.cancelled', newOrderId());
      expect(await applyOrderEvent(service.inventory, cancelled)).toBe('no_reservation');
      const [span] = await applySpans();
      expect(span?.attributes['mesh.reservation.outcome']).toBe('no_reservation');
      expect(span?.status.code).toBe(SpanStatusCode.UNSET);
      const after = await reservationsCounter();
      for (const outcome of ['released', 'committed', 'conflict']) {
        expect(after(outcome) - before(outcome)).toBe(0);
      }
    });
  });
});
