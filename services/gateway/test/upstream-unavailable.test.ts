import { closedPort, type FakeService, problem, startRedis, type TestRedis } from '@mesh/testkit';
import { API_KEY } from './support/api-keys';
import { startFakeInventory, startFakeOrder } from './support/fakes';
import { expectProblem, startGateway, type TestGateway } from './support/gateway';

const ORDER_ID = '5b0c7c1e-8d2f-4f5a-9a57-1f0b1c2d3e4f';
const withKey = { 'x-api-key': API_KEY };
const placeOrder = {
  method: 'POST' as const,
  url: '/api/orders',
  headers: withKey,
  payload: { customerId: 'cust-42', items: [{ sku: 'MUG-BLUE-350', quantity: 1 }] },
};

/** A 503 problem as a Mesh service answers it, with its own Retry-After. */
const unavailable = (retryAfter: string) => {
  const answer = problem(503, 'dependency-unavailable', 'PostgreSQL is restarting');
  return { ...answer, headers: { ...answer.headers, 'retry-after': retryAfter } };
};

describe('when a service behind the gateway is unavailable', () => {
  let redis: TestRedis;
  let order: FakeService;
  let inventory: FakeService;
  const open: TestGateway[] = [];

  async function gatewayWith(env: Record<string, string> = {}) {
    const gateway = await startGateway({
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: `${redis.keyPrefix}${open.length}:`,
      ORDER_URL: order.url,
      INVENTORY_URL: inventory.url,
      ...env,
    });
    open.push(gateway);
    return gateway;
  }

  beforeAll(async () => {
    [redis, order, inventory] = await Promise.all([
      startRedis(),
      startFakeOrder(),
      startFakeInventory(),
    ]);
  });
  afterEach(() => {
    order.reset();
    inventory.reset();
  });
  afterAll(async () => {
    await Promise.all(open.map((gateway) => gateway.close()));
    await Promise.all([order.stop(), inventory.stop(), redis.stop()]);
  });

  it('and nothing listens, then 503 dependency-unavailable with Retry-After, never 502', async () => {
    const gateway = await gatewayWith({ ORDER_URL: await closedPort() });

    for (const request of [placeOrder, { url: `/api/orders/${ORDER_ID}`, headers: withKey }]) {
      const response = await gateway.app.inject(request);
      expectProblem(response, 503, 'dependency-unavailable');
      expect(response.headers['retry-after']).toBe('1');
    }
  });

  it('and it answers 503 with its own Retry-After, then the gateway answers 503 with that Retry-After', async () => {
    const gateway = await gatewayWith();
    inventory.failNext(3, unavailable('7'));
    order.failNext(1, unavailable('4'));

    const products = await gateway.app.inject({ url: '/api/products', headers: withKey });
    const placed = await gateway.app.inject(placeOrder);

    expectProblem(products, 503, 'dependency-unavailable');
    expect(products.headers['retry-after']).toBe('7');
    expectProblem(placed, 503, 'dependency-unavailable');
    expect(placed.headers['retry-after']).toBe('4');
    // Placing an order is never retried; the GET was, within its time limit.
    expect(order.forwarded).toHaveLength(1);
    expect(inventory.forwarded).toHaveLength(3);
  });
});
