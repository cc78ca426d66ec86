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

  it('when the reservation cannot be committed, then the order is still CONFIRMED', async () => {
    service.inventory.behaviour.commit = 'unavailable';
    const customerId = newCustomer();
    const response = await service.placeOrder({
      customerId,
      items: [{ sku: 'SOCKS-RED-42', quantity: 1 }],
    });

    expect(response.status).toBe(201);
    expect((await orderOf(response)).status).toBe('CONFIRMED');
    expect(service.inventory.callsTo('commit')).toHaveLength(1);
    expect(await service.ordersOf(customerId)).toEqual([
      expect.objectContaining({ status: 'CONFIRMED' }),
    ]);
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
