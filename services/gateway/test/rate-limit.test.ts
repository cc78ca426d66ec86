import type { FakeService } from '@mesh/testkit';
import {
  type DedicatedRedis,
  eventually,
  startDedicatedRedis,
  startRedis,
  type TestRedis,
} from '@mesh/testkit';
import { Redis } from 'ioredis';
import { API_KEY, OTHER_API_KEY } from './support/api-keys';
import { startFakeInventory, startFakeOrder } from './support/fakes';
import {
  capturedLogger,
  countingMetrics,
  expectProblem,
  startGateway,
  type TestGateway,
} from './support/gateway';

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

  it('when a client keeps going over its limit, then each 429 is counted, and none is logged above debug', async () => {
    const metrics = countingMetrics();
    const { logger, lines } = capturedLogger('info');
    const gateway = await gatewayWith({ RATE_LIMIT_MAX: '1' }, { logger, metrics });
    await listProducts(gateway, { 'x-api-key': API_KEY });

    for (let i = 0; i < 5; i += 1) {
      expect((await listProducts(gateway, { 'x-api-key': API_KEY })).statusCode).toBe(429);
    }

    expect(metrics.counts.rateLimited).toBe(5);
    expect(lines.filter((line) => line.code === 'rate-limited')).toEqual([]);
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

describe('rate limits when Redis cannot count (fail open)', () => {
  let redis: DedicatedRedis;
  let order: FakeService;
  let inventory: FakeService;
  let admin: Redis;
  const open: TestGateway[] = [];
  let run = 0;

  async function gatewayWith() {
    run += 1;
    const metrics = countingMetrics();
    const { logger, lines } = capturedLogger('info');
    const gateway = await startGateway(
      {
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: `fail-open-${run}:`,
        ORDER_URL: order.url,
        INVENTORY_URL: inventory.url,
        RATE_LIMIT_MAX: '2',
      },
      { logger, metrics },
    );
    open.push(gateway);
    const uncheckedLines = () =>
      lines.filter((line) => line.msg.startsWith('rate limit not checked'));
    return { gateway, metrics, uncheckedLines };
  }

  const listProducts = (gateway: TestGateway) =>
    gateway.app.inject({ url: '/api/products', headers: { 'x-api-key': API_KEY } });

  beforeAll(async () => {
    [redis, order, inventory] = await Promise.all([
      startDedicatedRedis(),
      startFakeOrder(),
      startFakeInventory(),
    ]);
    admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    admin.on('error', () => undefined);
  });
  afterAll(async () => {
    await Promise.all(open.map((gateway) => gateway.close()));
    admin.disconnect();
    await Promise.all([order.stop(), inventory.stop(), redis.stop()]);
  });

  it('when Redis stops, then requests pass unchecked, each counted, with one warning; when it is back, the limit holds again', async () => {
    const { gateway, metrics, uncheckedLines } = await gatewayWith();
    for (let i = 0; i < 2; i += 1) expect((await listProducts(gateway)).statusCode).toBe(200);
    expect((await listProducts(gateway)).statusCode).toBe(429);

    await redis.halt();
    try {
      for (let i = 0; i < 5; i += 1) expect((await listProducts(gateway)).statusCode).toBe(200);

      expect(metrics.counts.rateLimitUnchecked).toBe(5);
      expect(uncheckedLines()).toEqual([expect.objectContaining({ level: 'warn' })]);
      expect((await gateway.app.inject('/readyz')).statusCode).toBe(200);
    } finally {
      await redis.resume();
    }

    // The restarted Redis kept no counters (no persistence): two more pass, then the limit.
    await eventually(
      async () => ((await listProducts(gateway)).statusCode === 429 ? true : undefined),
      'the rate limit to refuse again',
      { timeoutMs: 10_000 },
    );
  });

  it('when Redis is full and refuses writes (noeviction), then requests pass unchecked and are counted', async () => {
    const { gateway, metrics, uncheckedLines } = await gatewayWith();
    await admin.connect().catch(() => undefined);
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'maxmemory', '1');
    try {
      for (let i = 0; i < 4; i += 1) expect((await listProducts(gateway)).statusCode).toBe(200);
    } finally {
      await admin.config('SET', 'maxmemory', '0');
    }

    expect(metrics.counts.rateLimitUnchecked).toBe(4);
    expect(uncheckedLines()).toHaveLength(1);
  });

  it('when Redis is full under allkeys-lru (the policy compose sets), then it evicts old keys and the limit still holds', async () => {
    const { gateway, metrics } = await gatewayWith();
    await admin.connect().catch(() => undefined);
    const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1]);
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    await admin.config('SET', 'maxmemory', String(used + 2 * 1024 * 1024));
    try {
      // Older than the counters: cached products with a TTL, as inventory writes them.
      const filler = 'x'.repeat(1024);
      for (let batch = 0; batch < 8; batch += 1) {
        const pipeline = admin.pipeline();
        for (let i = 0; i < 500; i += 1) pipeline.set(`filler:${batch}:${i}`, filler, 'EX', 600);
        await pipeline.exec();
      }
      expect(Number(/evicted_keys:(\d+)/.exec(await admin.info('stats'))?.[1])).toBeGreaterThan(0);

      for (let i = 0; i < 2; i += 1) expect((await listProducts(gateway)).statusCode).toBe(200);
      expectProblem(await listProducts(gateway), 429, 'rate-limited');
      expect(metrics.counts.rateLimitUnchecked).toBeUndefined();
    } finally {
      await admin.config('SET', 'maxmemory', '0');
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
    }
  });
});
