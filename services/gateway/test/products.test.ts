import { type FakeService, problem, startRedis, type TestRedis } from '@mesh/testkit';
import { API_KEY } from './support/api-keys';
import { PRODUCTS, startFakeInventory, startFakeOrder } from './support/fakes';
import { expectProblem, startGateway, type TestGateway } from './support/gateway';

const INVENTORY_TIMEOUT_MS = 500;

describe('products through the gateway', () => {
  let redis: TestRedis;
  let order: FakeService;
  let inventory: FakeService;
  let gateway: TestGateway;

  const get = (url: string) =>
    gateway.app.inject({ method: 'GET', url, headers: { 'x-api-key': API_KEY } });

  beforeAll(async () => {
    [redis, order, inventory] = await Promise.all([
      startRedis(),
      startFakeOrder(),
      startFakeInventory(),
    ]);
    gateway = await startGateway({
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redis.keyPrefix,
      ORDER_URL: order.url,
      INVENTORY_URL: inventory.url,
      INVENTORY_TIMEOUT_MS: String(INVENTORY_TIMEOUT_MS),
    });
  });
  afterEach(() => {
    order.reset();
    inventory.reset();
  });
  afterAll(async () => {
    await gateway.close();
    await Promise.all([order.stop(), inventory.stop(), redis.stop()]);
  });

  it('when products are listed, then the inventory list is answered with the default page', async () => {
    const response = await get('/api/products');

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ items: PRODUCTS, total: 2, limit: 50, offset: 0 });
    expect(inventory.forwarded.map((call) => call.url)).toEqual(['/products?limit=50&offset=0']);
    expect(order.calls).toHaveLength(0);
  });

  it('when a page is asked for, then limit and offset are passed on', async () => {
    const response = await get('/api/products?limit=1&offset=1');

    expect(response.json()).toMatchObject({ items: [PRODUCTS[1]], limit: 1, offset: 1 });
    expect(inventory.forwarded.map((call) => call.url)).toEqual(['/products?limit=1&offset=1']);
  });

  it('when one product is read, then the inventory answers it', async () => {
    const response = await get('/api/products/TEE-BLACK-M');

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(PRODUCTS[1]);
    expect(inventory.forwarded.map((call) => call.url)).toEqual(['/products/TEE-BLACK-M']);
  });

  it('when the product does not exist, then 404 product-not-found is relayed and not retried', async () => {
    const relayed = expectProblem(await get('/api/products/NO-SUCH-SKU'), 404, 'product-not-found');

    expect(relayed.detail).toBe('No product NO-SUCH-SKU.');
    expect(inventory.forwarded).toHaveLength(1);
  });

  it('when inventory fails twice with 503, then the GET is retried and answers 200 after 3 calls', async () => {
    inventory.failNext(2, problem(503, 'not-ready'));

    const response = await get('/api/products');

    expect(response.statusCode).toBe(200);
    expect(response.json().items).toEqual(PRODUCTS);
    expect(inventory.forwarded).toHaveLength(3);
  });

  it('when inventory fails with a 500 once, then the retry answers 200', async () => {
    inventory.failNext(1, { status: 500, body: { error: 'boom' } });

    expect((await get('/api/products/MUG-BLUE-350')).statusCode).toBe(200);
    expect(inventory.forwarded).toHaveLength(2);
  });

  it('when inventory keeps failing with 503, then 503 dependency-unavailable after 2 retries', async () => {
    inventory.failNext(Number.POSITIVE_INFINITY, problem(503, 'not-ready'));

    expectProblem(await get('/api/products'), 503, 'dependency-unavailable');
    expect(inventory.forwarded).toHaveLength(3);
  });

  it('when inventory hangs, then 504 dependency-timeout after INVENTORY_TIMEOUT_MS, without retrying', async () => {
    inventory.hang();
    const started = performance.now();

    expectProblem(await get('/api/products'), 504, 'dependency-timeout');

    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(INVENTORY_TIMEOUT_MS - 10);
    expect(elapsed).toBeLessThan(INVENTORY_TIMEOUT_MS + 500);
    expect(inventory.forwarded).toHaveLength(1);
  });

  it('when inventory fails slowly, then retries stop at INVENTORY_TIMEOUT_MS in total', async () => {
    // Each failure takes 200 ms: the second attempt starts at 250-300 ms and gets only what is
    // left of the 500 ms, so there is no third one.
    inventory.failNext(Number.POSITIVE_INFINITY, problem(503, 'not-ready'), 200);
    const started = performance.now();

    expectProblem(await get('/api/products'), 504, 'dependency-timeout');

    expect(performance.now() - started).toBeLessThan(INVENTORY_TIMEOUT_MS + 200);
    expect(inventory.forwarded).toHaveLength(2);
  });
});
