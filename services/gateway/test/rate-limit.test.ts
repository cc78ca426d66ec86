import type { FakeService } from '@mesh/testkit';
import { startRedis, type TestRedis } from '@mesh/testkit';
import { Redis } from 'ioredis';
import { API_KEY, OTHER_API_KEY } from './support/api-keys';
import { startFakeInventory, startFakeOrder } from './support/fakes';
import { expectProblem, startGateway, type TestGateway } from './support/gateway';

describe('rate limits', () => {
  let redis: TestRedis;
  let order: FakeService;
  let inventory: FakeService;
  let inspect: Redis;
  const open: TestGateway[] = [];
  let run = 0;

  /** A gateway with its own key prefix, so every test starts with fresh counters. */
  async function gatewayWith(env: Record<string, string> = {}, options = {}) {
    run += 1;
    const gateway = await startGateway(
      {
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: `${redis.keyPrefix}${run}:`,
        ORDER_URL: order.url,
        INVENTORY_URL: inventory.url,
        RATE_LIMIT_MAX: '3',
        ...env,
      },
      options,
    );
    open.push(gateway);
    return gateway;
  }

  const listProducts = (gateway: TestGateway, headers: Record<string, string>) =>
    gateway.app.inject({ method: 'GET', url: '/api/products', headers });

  beforeAll(async () => {
    [redis, order, inventory] = await Promise.all([
      startRedis(),
      startFakeOrder(),
      startFakeInventory(),
    ]);
    inspect = new Redis(redis.url);
  });
  afterEach(() => {
    order.reset();
    inventory.reset();
  });
  afterAll(async () => {
    await Promise.all(open.map((gateway) => gateway.close()));
    inspect.disconnect();
    await Promise.all([order.stop(), inventory.stop(), redis.stop()]);
  });

  it('when a key sends a 4th request within the window, then 429 rate-limited with Retry-After, and it is not forwarded', async () => {
    const gateway = await gatewayWith();
    const key = { 'x-api-key': API_KEY };

    for (let i = 0; i < 3; i += 1) {
      expect((await listProducts(gateway, key)).statusCode).toBe(200);
    }
    const refused = await listProducts(gateway, key);

    const problem = expectProblem(refused, 429, 'rate-limited');
    expect(problem.detail).toMatch(/More than 3 requests in 60 s/);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(inventory.forwarded).toHaveLength(3);
  });

  it('when one key is over its limit, then another key still passes', async () => {
    const gateway = await gatewayWith();
    for (let i = 0; i < 4; i += 1) await listProducts(gateway, { 'x-api-key': API_KEY });

    expect((await listProducts(gateway, { 'x-api-key': API_KEY })).statusCode).toBe(429);
    expect((await listProducts(gateway, { 'x-api-key': OTHER_API_KEY })).statusCode).toBe(200);
  });

  it('when orders are posted over the limit, then the 4th is refused before the order service', async () => {
    const gateway = await gatewayWith();
    const place = () =>
      gateway.app.inject({
        method: 'POST',
        url: '/api/orders',
        headers: { 'x-api-key': API_KEY },
        payload: { customerId: 'cust-42', items: [{ sku: 'MUG-BLUE-350', quantity: 1 }] },
      });
    for (let i = 0; i < 3; i += 1) expect((await place()).statusCode).toBe(201);

    expectProblem(await place(), 429, 'rate-limited');
    expect(order.forwarded).toHaveLength(3);
  });

  it('when requests come without a valid key, then they are counted per IP, so guessing keys is limited too', async () => {
    const gateway = await gatewayWith();
    for (let i = 0; i < 3; i += 1) {
      expect((await listProducts(gateway, { 'x-api-key': `guess-${i}` })).statusCode).toBe(401);
    }

    expectProblem(await listProducts(gateway, { 'x-api-key': 'guess-3' }), 429, 'rate-limited');
    // A client with a key of its own is counted apart from the guesser at the same address.
    expect((await listProducts(gateway, { 'x-api-key': API_KEY })).statusCode).toBe(200);
  });

  it('when requests are counted, then the counters live in Redis under REDIS_KEY_PREFIX, named by a hash of the key', async () => {
    const gateway = await gatewayWith();
    await listProducts(gateway, { 'x-api-key': API_KEY });
    await listProducts(gateway, { 'x-api-key': OTHER_API_KEY });
    await listProducts(gateway, {});

    const keys = await inspect.keys(`${redis.keyPrefix}${run}:rate-limit:*`);
    expect(keys.sort()).toEqual([
      expect.stringMatching(/:rate-limit:ip:127\.0\.0\.1$/),
      expect.stringMatching(/:rate-limit:key:[0-9a-f]{64}$/),
      expect.stringMatching(/:rate-limit:key:[0-9a-f]{64}$/),
    ]);
    expect(keys.join()).not.toContain(API_KEY);
    const ttl = await inspect.pttl(keys[0] ?? '');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('when Redis is unreachable, then requests still pass', async () => {
    const gateway = await gatewayWith(
      { REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_MAX: '1' },
      { waitForRedis: false },
    );

    for (let i = 0; i < 3; i += 1) {
      expect((await listProducts(gateway, { 'x-api-key': API_KEY })).statusCode).toBe(200);
    }
    expect(inventory.forwarded).toHaveLength(3);
  });
});
