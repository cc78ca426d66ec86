import { closedPort, type FakeService, problem, startRedis, type TestRedis } from '@mesh/testkit';
import type { InjectOptions } from 'fastify';
import { API_KEY } from './support/api-keys';
import { startFakeInventory, startFakeOrder } from './support/fakes';
import { expectProblem, startGateway, type TestGateway } from './support/gateway';

const ORDER_TIMEOUT_MS = 300;
const ORDER = { customerId: 'cust-42', items: [{ sku: 'MUG-BLUE-350', quantity: 2 }] };

describe('orders through the gateway', () => {
  let redis: TestRedis;
  let order: FakeService;
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

  it('when the order service answers 503 to a POST, then 503 dependency-unavailable and it is not retried', async () => {
    order.failNext(1, problem(503, 'not-ready'));
    expectProblem(await placeOrder(), 503, 'dependency-unavailable');
    expect(order.forwarded).toHaveLength(1);
  });

  it('when the order service fails a POST with a 500, then 502 dependency-failed and it is not retried', async () => {
    order.failNext(Number.POSITIVE_INFINITY, { status: 500, body: { secret: 'stack' } });
    const relayed = expectProblem(await placeOrder(), 502, 'dependency-failed');
    expect(JSON.stringify(relayed)).not.toContain('stack');
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

    expectProblem(response, 504, 'dependency-timeout');
    expect(elapsed).toBeGreaterThanOrEqual(ORDER_TIMEOUT_MS - 10);
    expect(elapsed).toBeLessThan(ORDER_TIMEOUT_MS + 1_000);
    expect(order.forwarded).toHaveLength(1);
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
      expectProblem(response, 503, 'dependency-unavailable');
      expect(performance.now() - started).toBeLessThan(1_500);
    } finally {
      await down.close();
    }
  });
});
