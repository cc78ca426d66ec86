import { randomUUID } from 'node:crypto';
import {
  newCustomer,
  type OrderServiceUnderTest,
  orderOf,
  problemOf,
  startOrderService,
} from './support/order-service';

describe('POST /orders with an Idempotency-Key', () => {
  let service: OrderServiceUnderTest;

  beforeAll(async () => {
    service = await startOrderService();
  });
  afterEach(() => service.reset());
  afterAll(() => service.close());

  const withKey = (key: string) => ({ 'idempotency-key': key });

  async function ordersWithKey(key: string): Promise<number> {
    const { rows } = await service.pool.query(
      'SELECT count(*)::int AS count FROM orders WHERE idempotency_key = $1',
      [key],
    );
    return rows[0].count;
  }

  it('when the same request is sent twice, then one order is placed and the retry gets it back with 200 Idempotent-Replayed', async () => {
    const key = randomUUID();
    const body = {
      customerId: newCustomer(),
      items: [
        { sku: 'MUG-BLUE-350', quantity: 1 },
        { sku: 'TEE-BLACK-M', quantity: 2 },
      ],
    };

    const first = await service.placeOrder(body, withKey(key));
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const placed = await orderOf(first);

    // The same lines in another order are the same request.
    const retry = await service.placeOrder(
      { ...body, items: [...body.items].reverse() },
      withKey(key),
    );
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.json()).toEqual(placed);

    expect(service.inventory.callsTo('reserve')).toHaveLength(1);
    expect(service.payment.callsTo('charge')).toHaveLength(1);
    expect(await ordersWithKey(key)).toBe(1);
  });

  it('when the key comes back with a different request, then 422 idempotency-key-reused and nothing is placed', async () => {
    const key = randomUUID();
    const customerId = newCustomer();
    const first = await service.placeOrder(
      { customerId, items: [{ sku: 'MUG-BLUE-350', quantity: 1 }] },
      withKey(key),
    );
    expect(first.status).toBe(201);
    service.recoverDependencies();

    const other = await service.placeOrder(
      { customerId, items: [{ sku: 'MUG-BLUE-350', quantity: 2 }] },
      withKey(key),
    );

    expect(other.status).toBe(422);
    expect(await problemOf(other)).toMatchObject({ code: 'idempotency-key-reused' });
    expect(service.inventory.calls).toHaveLength(0);
    expect(service.payment.calls).toHaveLength(0);
    expect(await service.ordersOf(customerId)).toHaveLength(1);
  });

  it('when the key comes back while its order is still being placed, then 409 idempotency-key-in-use', async () => {
    const key = randomUUID();
    const body = { customerId: newCustomer(), items: [{ sku: 'SOCKS-RED-42', quantity: 1 }] };
    service.payment.delayMs.charge = 500;

    const first = service.placeOrder(body, withKey(key));
    // Wait until the first request has stored its order and is charging.
    const deadline = Date.now() + 5_000;
    while ((await ordersWithKey(key)) === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const second = await service.placeOrder(body, withKey(key));

    expect(second.status).toBe(409);
    expect(second.headers.get('retry-after')).toBe('1');
    expect(await problemOf(second)).toMatchObject({ code: 'idempotency-key-in-use' });
    expect((await first).status).toBe(201);
    expect(service.inventory.callsTo('reserve')).toHaveLength(1);
    expect(service.payment.callsTo('charge')).toHaveLength(1);
  });

  it('when two identical requests with one key race, then exactly one order is charged and the loser gives its stock back', async () => {
    const key = randomUUID();
    const customerId = newCustomer();
    const body = { customerId, items: [{ sku: 'TEE-BLACK-M', quantity: 1 }] };
    // Both requests get past the idempotency check before either stores its order.
    service.inventory.delayMs.reserve = 150;

    const responses = await Promise.all([
      service.placeOrder(body, withKey(key)),
      service.placeOrder(body, withKey(key)),
    ]);

    // The winner places the order; the loser is answered as a retry: 409 while the winner is
    // still at work, 200 once it is done.
    const [winner, loser] = responses
      .map((response) => response.status)
      .sort((a, b) => (a === 201 ? -1 : b === 201 ? 1 : 0));
    expect(winner).toBe(201);
    expect([200, 409]).toContain(loser);
    expect(service.payment.callsTo('charge')).toHaveLength(1);
    expect(await service.ordersOf(customerId)).toEqual([
      expect.objectContaining({ status: 'CONFIRMED' }),
    ]);
    expect(service.inventory.callsTo('reserve')).toHaveLength(2);
    const [stored] = await service.ordersOf(customerId);
    const losersReservation = [...service.inventory.reservations.values()].find(
      (reservation) => reservation.orderId !== stored?.id,
    );
    expect(losersReservation?.status).toBe('RELEASED');
    expect(service.inventory.stock.get('TEE-BLACK-M')).toBe(99);
  });

  it('when the first attempt failed before anything was stored, then a retry with the key places the order', async () => {
    const key = randomUUID();
    const customerId = newCustomer();
    const body = { customerId, items: [{ sku: 'MUG-BLUE-350', quantity: 1 }] };
    service.inventory.behaviour.reserve = 'unavailable';
    expect((await service.placeOrder(body, withKey(key))).status).toBe(503);
    service.recoverDependencies();

    const retry = await service.placeOrder(body, withKey(key));

    expect(retry.status).toBe(201);
    expect((await orderOf(retry)).status).toBe('CONFIRMED');
    expect(await service.ordersOf(customerId)).toHaveLength(1);
  });
});

describe('POST /orders with an order id from the gateway (x-mesh-order-id)', () => {
  let service: OrderServiceUnderTest;

  beforeAll(async () => {
    service = await startOrderService();
  });
  afterEach(() => service.reset());
  afterAll(() => service.close());

  const withId = (id: string) => ({ 'x-mesh-order-id': id });

  it('when an id is given, then the order gets it, and the same request under it again answers that order with 200 without placing it twice', async () => {
    const id = randomUUID();
    const customerId = newCustomer();
    const body = { customerId, items: [{ sku: 'MUG-BLUE-350', quantity: 1 }] };

    const first = await service.placeOrder(body, withId(id));
    expect(first.status).toBe(201);
    expect(first.headers.get('location')).toBe(`/orders/${id}`);
    const placed = await orderOf(first);
    expect(placed).toMatchObject({ id, status: 'CONFIRMED' });

    const again = await service.placeOrder(body, withId(id));
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(placed);
    expect(service.inventory.callsTo('reserve')).toHaveLength(1);
    expect(service.payment.callsTo('charge')).toHaveLength(1);
    expect(await service.ordersOf(customerId)).toHaveLength(1);
  });

  it('when the id comes back with a different request, then 409 order-id-reused and nothing is placed', async () => {
    const id = randomUUID();
    const customerId = newCustomer();
    const first = await service.placeOrder(
      { customerId, items: [{ sku: 'MUG-BLUE-350', quantity: 1 }] },
      withId(id),
    );
    expect(first.status).toBe(201);
    service.recoverDependencies();

    const other = await service.placeOrder(
      { customerId, items: [{ sku: 'MUG-BLUE-350', quantity: 2 }] },
      withId(id),
    );

    expect(other.status).toBe(409);
    expect(await problemOf(other)).toMatchObject({ code: 'order-id-reused' });
    expect(service.inventory.calls).toHaveLength(0);
    expect(service.payment.calls).toHaveLength(0);
  });

  it('when the id comes back while its order is still being placed, then 202 with the order as it is, and the first request still confirms it', async () => {
    const id = randomUUID();
    const body = { customerId: newCustomer(), items: [{ sku: 'SOCKS-RED-42', quantity: 1 }] };
    service.payment.delayMs.charge = 500;

    const first = service.placeOrder(body, withId(id));
    const stored = Date.now() + 5_000;
    while ((await service.getOrder(id)).status === 404 && Date.now() < stored) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const second = await service.placeOrder(body, withId(id));

    expect(second.status).toBe(202);
    expect(second.headers.get('location')).toBe(`/orders/${id}`);
    expect(await orderOf(second)).toMatchObject({ id, status: 'STOCK_RESERVED' });
    const firstAnswer = await first;
    expect(firstAnswer.status).toBe(201);
    expect((await orderOf(firstAnswer)).status).toBe('CONFIRMED');
    expect(service.payment.callsTo('charge')).toHaveLength(1);
  });
});
