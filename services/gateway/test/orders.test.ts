import { closedPort, type FakeService, problem, startRedis, type TestRedis } from '@mesh/testkit';
import type { InjectOptions } from 'fastify';
import { API_KEY } from './support/api-keys';
import { type FakeOrder, startFakeInventory, startFakeOrder } from './support/fakes';
import { expectProblem, startGateway, type TestGateway } from './support/gateway';

const ORDER_TIMEOUT_MS = 300;
const ORDER = { customerId: 'cust-42', items: [{ sku: 'MUG-BLUE-350', quantity: 2 }] };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('orders through the gateway', () => {
  let redis: TestRedis;
  let order: FakeOrder;
  let inventory: FakeService;
  let gateway: TestGateway;

  const env = () => ({
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: redis.keyPrefix,
    ORDER_URL: order.url,
    INVENTORY_URL: inventory.url,
    ORDER_TIMEOUT_MS: String(ORDER_TIMEOUT_MS),
  });

  const send = (options: InjectOptions) =>
    gateway.app.inject({ ...options, headers: { 'x-api-key': API_KEY, ...options.headers } });
  const placeOrder = (headers: Record<string, string> = {}) =>
    send({ method: 'POST', url: '/api/orders', payload: ORDER, headers });

  beforeAll(async () => {
    [redis, order, inventory] = await Promise.all([
      startRedis(),
      startFakeOrder(),
      startFakeInventory(),
    ]);
    gateway = await startGateway(env());
  });
  afterEach(() => {
    order.reset();
    inventory.reset();
  });
  afterAll(async () => {
    await gateway.close();
    await Promise.all([order.stop(), inventory.stop(), redis.stop()]);
  });

  it('when a valid order is posted with a key, then the order service gets it once and its 201 and order are answered', async () => {
    const response = await placeOrder();

    expect(response.statusCode).toBe(201);
    const placed = response.json();
    expect(placed).toMatchObject({ customerId: 'cust-42', status: 'CONFIRMED', totalCents: 2400 });
    expect(order.forwarded).toHaveLength(1);
    expect(order.forwarded[0]).toMatchObject({ method: 'POST', url: '/orders', body: ORDER });
    expect(order.forwarded[0]?.headers['idempotency-key']).toBeUndefined();
    expect(response.headers['idempotent-replayed']).toBeUndefined();
    expect(inventory.calls).toHaveLength(0);
  });

  it('when an order is posted, then the gateway mints its id and sends it with its time limit as the deadline, and the answer points at the order', async () => {
    const response = await placeOrder();

    const forwarded = order.forwarded[0]?.headers ?? {};
    expect(forwarded['x-mesh-order-id']).toMatch(UUID);
    expect(forwarded['x-mesh-deadline-ms']).toBe(String(ORDER_TIMEOUT_MS));
    expect(response.json().id).toBe(forwarded['x-mesh-order-id']);
    expect(response.headers.location).toBe(`/api/orders/${forwarded['x-mesh-order-id']}`);

    await placeOrder();
    expect(order.forwarded[1]?.headers['x-mesh-order-id']).not.toBe(forwarded['x-mesh-order-id']);
  });

  it('when a client sends its own order id or deadline header, then the gateway sends its own instead', async () => {
    const id = '5b0c7c1e-8d2f-4f5a-9a57-1f0b1c2d3e4f';
    await placeOrder({ 'x-mesh-order-id': id, 'x-mesh-deadline-ms': '999999' });

    expect(order.forwarded[0]?.headers['x-mesh-order-id']).not.toBe(id);
    expect(order.forwarded[0]?.headers['x-mesh-deadline-ms']).toBe(String(ORDER_TIMEOUT_MS));
  });

  it('when the order service answers 202 for an order whose outcome is not decided, then 202 with the order and its Location is passed on', async () => {
    const now = new Date().toISOString();
    const inProgress = {
      id: '3f1d2c4b-5a69-4788-9e0f-a1b2c3d4e5f6',
      customerId: 'cust-42',
      status: 'STOCK_RESERVED',
      items: [{ sku: 'MUG-BLUE-350', quantity: 2, unitPriceCents: 1200 }],
      totalCents: 2400,
      currency: 'EUR',
      createdAt: now,
      updatedAt: now,
      history: [
        { status: 'PENDING', at: now },
        { status: 'STOCK_RESERVED', at: now },
      ],
    };
    order.failNext(1, { status: 202, body: inProgress });

    const response = await placeOrder();

    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual(inProgress);
    expect(response.headers.location).toBe(`/api/orders/${inProgress.id}`);
  });

  it('when the connection to the order service breaks after the order was sent, then the problem names the order, and GET on its Location finds how it ended', async () => {
    order.dropNextAnswer();

    const response = await placeOrder();

    const failed = expectProblem(response, 503, 'dependency-unavailable');
    const sentId = order.forwarded[0]?.headers['x-mesh-order-id'];
    expect(failed.orderId).toBe(sentId);
    expect(response.headers.location).toBe(`/api/orders/${sentId}`);
    expect(failed.detail).toContain(`GET /api/orders/${sentId}`);

    const found = await send({ method: 'GET', url: response.headers.location as string });
    expect(found.statusCode).toBe(200);
    expect(found.json()).toMatchObject({ id: sentId, status: 'CONFIRMED' });
  });

  it('when an Idempotency-Key is sent, then it is forwarded, and a repeat answers 200 with the same order and Idempotent-Replayed', async () => {
    const key = `checkout-${Date.now()}`;
    const first = await placeOrder({ 'idempotency-key': key });
    const again = await placeOrder({ 'idempotency-key': key });

    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().id).toBe(first.json().id);
    expect(order.forwarded.map((call) => call.headers['idempotency-key'])).toEqual([key, key]);
  });

  it('when a placed order is read, then the order service answers it', async () => {
    const placed = (await placeOrder()).json();
    const response = await send({ method: 'GET', url: `/api/orders/${placed.id}` });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(placed);
    expect(order.forwarded.at(-1)).toMatchObject({ method: 'GET', url: `/orders/${placed.id}` });
  });

  it('when the order does not exist, then 404 order-not-found is relayed', async () => {
    const id = '5b0c7c1e-8d2f-4f5a-9a57-1f0b1c2d3e4f';
    const problem = expectProblem(
      await send({ method: 'GET', url: `/api/orders/${id}` }),
      404,
      'order-not-found',
    );
    expect(problem.detail).toBe(`No order ${id}.`);
    // A 4xx is an answer, not a failure: it is not retried.
    expect(order.forwarded).toHaveLength(1);
  });

  it('when the order service refuses the order with a problem, then its code and status are relayed', async () => {
    order.failNext(1, problem(409, 'out-of-stock', 'MUG-BLUE-350: 1 left'));
    const relayed = expectProblem(await placeOrder(), 409, 'out-of-stock');
    expect(relayed.detail).toBe('MUG-BLUE-350: 1 left');
  });

  it('when the order service answers 503 to a POST, then 503 dependency-unavailable naming the order, and it is not retried', async () => {
    order.failNext(1, problem(503, 'not-ready'));
    const response = await placeOrder();
    const relayed = expectProblem(response, 503, 'dependency-unavailable');
    expect(relayed.orderId).toBe(order.forwarded[0]?.headers['x-mesh-order-id']);
    expect(response.headers.location).toBe(`/api/orders/${relayed.orderId}`);
    expect(order.forwarded).toHaveLength(1);
  });

  it('when the order service fails a POST with a 500, then 502 dependency-failed naming the order, and it is not retried', async () => {
    order.failNext(Number.POSITIVE_INFINITY, { status: 500, body: { secret: 'stack' } });
    const relayed = expectProblem(await placeOrder(), 502, 'dependency-failed');
    expect(JSON.stringify(relayed)).not.toContain('stack');
    expect(relayed.orderId).toBe(order.forwarded[0]?.headers['x-mesh-order-id']);
    expect(order.forwarded).toHaveLength(1);
  });

  it('when reading an order fails once with 503, then the GET is retried and answers 200', async () => {
    const placed = (await placeOrder()).json();
    order.reset();
    order.failNext(1, problem(503, 'not-ready'));

    const response = await send({ method: 'GET', url: `/api/orders/${placed.id}` });

    expect(response.statusCode).toBe(200);
    expect(order.forwarded).toHaveLength(2);
  });

  it('when the order service hangs, then 504 dependency-timeout after ORDER_TIMEOUT_MS', async () => {
    order.hang();
    const started = performance.now();
    const response = await placeOrder();
    const elapsed = performance.now() - started;

    const timedOut = expectProblem(response, 504, 'dependency-timeout');
    expect(elapsed).toBeGreaterThanOrEqual(ORDER_TIMEOUT_MS - 10);
    expect(elapsed).toBeLessThan(ORDER_TIMEOUT_MS + 1_000);
    expect(order.forwarded).toHaveLength(1);
    // The order is named; here it was never placed, which GET tells.
    expect(timedOut.orderId).toBe(order.forwarded[0]?.headers['x-mesh-order-id']);
    order.reset();
    const found = await send({ method: 'GET', url: response.headers.location as string });
    expectProblem(found, 404, 'order-not-found');
  });

  it('when the order service is down, then 503 dependency-unavailable at once, without waiting for a timeout', async () => {
    const down = await startGateway({ ...env(), ORDER_URL: await closedPort() });
    try {
      const started = performance.now();
      const response = await down.app.inject({
        method: 'POST',
        url: '/api/orders',
        payload: ORDER,
        headers: { 'x-api-key': API_KEY },
      });
      const refused = expectProblem(response, 503, 'dependency-unavailable');
      expect(performance.now() - started).toBeLessThan(1_500);
      // Nothing reached the order service: there is no order to name.
      expect(refused.orderId).toBeUndefined();
      expect(response.headers.location).toBeUndefined();
    } finally {
      await down.close();
    }
  });
});
