import { randomUUID } from 'node:crypto';
import { eventually } from '@mesh/testkit';
import { recoverStaleOrders } from '../src/domain/recover-orders';
import {
  newCustomer,
  type OrderServiceUnderTest,
  orderOf,
  problemOf,
  startOrderService,
} from './support/order-service';

describe('POST /orders and GET /orders/:id', () => {
  let service: OrderServiceUnderTest;

  beforeAll(async () => {
    service = await startOrderService();
  });
  afterEach(() => service.reset());
  afterAll(() => service.close());

  it('when stock is there and the charge succeeds, then 201 CONFIRMED priced by the reservation, and GET returns it', async () => {
    const customerId = newCustomer();
    const response = await service.placeOrder({
      customerId,
      items: [
        { sku: 'TEE-BLACK-M', quantity: 1 },
        { sku: 'MUG-BLUE-350', quantity: 2 },
      ],
    });

    expect(response.status).toBe(201);
    const order = await orderOf(response);
    expect(response.headers.get('location')).toBe(`/orders/${order.id}`);
    expect(order).toMatchObject({
      customerId,
      status: 'CONFIRMED',
      totalCents: 2 * 1_250 + 2_000,
      currency: 'EUR',
      items: [
        { sku: 'MUG-BLUE-350', quantity: 2, unitPriceCents: 1_250 },
        { sku: 'TEE-BLACK-M', quantity: 1, unitPriceCents: 2_000 },
      ],
    });
    expect(order.statusReason).toBeUndefined();
    expect(order.history.map((entry) => entry.status)).toEqual([
      'PENDING',
      'STOCK_RESERVED',
      'CONFIRMED',
    ]);

    expect(service.inventory.callsTo('reserve')).toEqual([
      expect.objectContaining({ body: { orderId: order.id, items: expect.any(Array) } }),
    ]);
    expect(service.payment.callsTo('charge')).toEqual([
      expect.objectContaining({
        body: { orderId: order.id, customerId, amountCents: 4_500, currency: 'EUR' },
      }),
    ]);
    expect(service.inventory.callsTo('commit').map((call) => call.path)).toEqual([
      `/reservations/${order.id}/commit`,
    ]);
    expect(service.inventory.callsTo('release')).toHaveLength(0);
    expect(service.inventory.reservations.get(order.id)?.status).toBe('COMMITTED');

    const fetched = await service.getOrder(order.id);
    expect(fetched.status).toBe(200);
    expect(await fetched.json()).toEqual(order);
  });

  it('when inventory cannot commit the reservation, then 202 with the charged order still in progress, and the recovery job confirms it once inventory answers', async () => {
    service.inventory.behaviour.commit = 'unavailable';
    const customerId = newCustomer();
    const response = await service.placeOrder({
      customerId,
      items: [{ sku: 'SOCKS-RED-42', quantity: 1 }],
    });

    expect(response.status).toBe(202);
    const order = await orderOf(response);
    expect(order.status).toBe('STOCK_RESERVED');
    expect(response.headers.get('location')).toBe(`/orders/${order.id}`);
    expect(service.inventory.callsTo('commit')).toHaveLength(1);
    expect(service.payment.payments.get(order.id)?.status).toBe('CHARGED');
    expect(service.inventory.reservations.get(order.id)?.status).toBe('RESERVED');

    service.recoverDependencies();
    await recoverStaleOrders(service.deps, { afterMs: 0 });
    expect((await orderOf(await service.getOrder(order.id))).status).toBe('CONFIRMED');
    expect(service.inventory.reservations.get(order.id)?.status).toBe('COMMITTED');
  });

  it('when the reservation was released before the confirmation (the expiry sweep), then the order is not confirmed: the charge is voided and it ends PAYMENT_FAILED stock-released', async () => {
    const id = randomUUID();
    const customerId = newCustomer();
    service.payment.delayMs.charge = 300;
    const placing = service.placeOrder(
      { customerId, items: [{ sku: 'SOCKS-RED-42', quantity: 3 }] },
      { 'x-mesh-order-id': id },
    );
    // While payment charges, inventory gives the reservation's stock back.
    await eventually(() => service.inventory.reservations.get(id), 'the reservation');
    const released = await fetch(`${service.inventory.url}/reservations/${id}/release`, {
      method: 'POST',
    });
    expect(released.status).toBe(200);

    const response = await placing;

    expect(response.status).toBe(201);
    const order = await orderOf(response);
    expect(order).toMatchObject({ id, status: 'PAYMENT_FAILED', statusReason: 'stock-released' });
    expect(order.history.map((entry) => entry.status)).not.toContain('CONFIRMED');
    // Inventory refused the commit; the charge was taken back.
    expect(service.inventory.callsTo('commit')).toHaveLength(1);
    expect(service.inventory.reservations.get(id)?.status).toBe('RELEASED');
    expect(service.inventory.stock.get('SOCKS-RED-42')).toBe(100);
    expect(service.payment.payments.get(id)?.status).toBe('VOIDED');
  });

  it("when payment answers only after the caller's deadline, then the answer comes before the deadline: 202 with the order in progress, which GET finds and the recovery job confirms", async () => {
    const id = randomUUID();
    const customerId = newCustomer();
    service.payment.delayMs.charge = 1_200;
    const started = performance.now();
    const response = await service.placeOrder(
      { customerId, items: [{ sku: 'MUG-BLUE-350', quantity: 1 }] },
      { 'x-mesh-order-id': id, 'x-mesh-deadline-ms': '1000' },
    );

    expect(performance.now() - started).toBeLessThan(1_000);
    expect(response.status).toBe(202);
    expect(response.headers.get('location')).toBe(`/orders/${id}`);
    expect(await orderOf(response)).toMatchObject({ id, status: 'STOCK_RESERVED' });
    const found = await service.getOrder(id);
    expect(found.status).toBe(200);
    expect((await orderOf(found)).status).toBe('STOCK_RESERVED');

    // Payment finished the charge after the order service stopped waiting.
    await eventually(
      () => (service.payment.payments.get(id)?.status === 'CHARGED' ? true : undefined),
      'the late charge',
    );
    await recoverStaleOrders(service.deps, { afterMs: 0 });
    expect((await orderOf(await service.getOrder(id))).status).toBe('CONFIRMED');
    expect(service.inventory.reservations.get(id)?.status).toBe('COMMITTED');
  });

  it('when a line is out of stock, then 201 REJECTED with the reason, nothing priced and no charge', async () => {
    service.inventory.stock.set('MUG-BLUE-350', 1);
    const customerId = newCustomer();
    const response = await service.placeOrder({
      customerId,
      items: [{ sku: 'MUG-BLUE-350', quantity: 3 }],
    });

    expect(response.status).toBe(201);
    const order = await orderOf(response);
    expect(order).toMatchObject({
      status: 'REJECTED',
      statusReason: 'out-of-stock: MUG-BLUE-350: 1 left, 3 asked',
      totalCents: 0,
      items: [{ sku: 'MUG-BLUE-350', quantity: 3, unitPriceCents: 0 }],
    });
    expect(order.history).toEqual([
      { status: 'PENDING', at: expect.any(String) },
      {
        status: 'REJECTED',
        reason: 'out-of-stock: MUG-BLUE-350: 1 left, 3 asked',
        at: expect.any(String),
      },
    ]);
    expect(service.payment.calls).toHaveLength(0);
    expect(await service.ordersOf(customerId)).toEqual([
      expect.objectContaining({ id: order.id, status: 'REJECTED' }),
    ]);
  });

  it('when a SKU is unknown, then 422 unknown-sku is relayed, no order is stored and nothing is charged', async () => {
    const customerId = newCustomer();
    const response = await service.placeOrder({
      customerId,
      items: [{ sku: 'NO-SUCH-THING', quantity: 1 }],
    });

    expect(response.status).toBe(422);
    expect(await problemOf(response)).toMatchObject({
      status: 422,
      code: 'unknown-sku',
      detail: 'No product NO-SUCH-THING.',
    });
    expect(await service.ordersOf(customerId)).toEqual([]);
    expect(service.payment.calls).toHaveLength(0);
  });

  it('when the payment is declined, then 201 PAYMENT_FAILED with the reason, stock released and nothing committed', async () => {
    service.payment.behaviour.charge = 'decline';
    const customerId = newCustomer();
    const response = await service.placeOrder({
      customerId,
      items: [{ sku: 'TEE-BLACK-M', quantity: 2 }],
    });

    expect(response.status).toBe(201);
    const order = await orderOf(response);
    expect(order).toMatchObject({
      status: 'PAYMENT_FAILED',
      statusReason: 'declined: insufficient-funds',
      totalCents: 4_000,
    });
    expect(order.history.map((entry) => entry.status)).toEqual([
      'PENDING',
      'STOCK_RESERVED',
      'PAYMENT_FAILED',
    ]);
    expect(service.inventory.callsTo('release').map((call) => call.path)).toEqual([
      `/reservations/${order.id}/release`,
    ]);
    expect(service.inventory.callsTo('commit')).toHaveLength(0);
    expect(service.inventory.stock.get('TEE-BLACK-M')).toBe(100);
  });

  it('when inventory is unavailable, then 503 dependency-unavailable at once, no order and no charge', async () => {
    service.inventory.behaviour.reserve = 'unavailable';
    const customerId = newCustomer();
    const started = Date.now();
    const response = await service.placeOrder({
      customerId,
      items: [{ sku: 'MUG-BLUE-350', quantity: 1 }],
    });

    expect(response.status).toBe(503);
    expect(await problemOf(response)).toMatchObject({ code: 'dependency-unavailable' });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await service.ordersOf(customerId)).toEqual([]);
    expect(service.payment.calls).toHaveLength(0);
  });

  it('when inventory drops the connection, then 503 dependency-unavailable, no order and no charge', async () => {
    service.inventory.behaviour.reserve = 'drop';
    const customerId = newCustomer();
    const response = await service.placeOrder({
      customerId,
      items: [{ sku: 'MUG-BLUE-350', quantity: 1 }],
    });

    expect(response.status).toBe(503);
    expect(await problemOf(response)).toMatchObject({ code: 'dependency-unavailable' });
    expect(await service.ordersOf(customerId)).toEqual([]);
    expect(service.payment.calls).toHaveLength(0);
    // The reservation may have been made before the connection broke: it is given back.
    expect(service.inventory.callsTo('release')).toHaveLength(1);
  });

  it('when the order does not exist, then GET answers 404 order-not-found', async () => {
    const response = await service.getOrder('0b7f2a4e-3c1d-4e5f-8a9b-0c1d2e3f4a5b');
    expect(response.status).toBe(404);
    expect(await problemOf(response)).toMatchObject({ code: 'order-not-found' });
  });

  it('when the order id is not a UUID, then GET answers 400 invalid-request', async () => {
    const response = await service.getOrder('not-a-uuid');
    expect(response.status).toBe(400);
    expect(await problemOf(response)).toMatchObject({ code: 'invalid-request' });
  });

  it('when PostgreSQL is reachable, then /healthz and /readyz answer 200', async () => {
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok' } });
  });
});
