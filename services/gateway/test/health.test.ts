import { closedPort, type FakeService, startRedis, type TestRedis } from '@mesh/testkit';
import { startFakeInventory, startFakeOrder } from './support/fakes';
import { expectProblem, startGateway, type TestGateway } from './support/gateway';

describe('health probes', () => {
  let redis: TestRedis;
  let order: FakeService;
  let inventory: FakeService;
  const open: TestGateway[] = [];

  async function gatewayWith(env: Record<string, string> = {}, options = {}) {
    const gateway = await startGateway(
      {
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: redis.keyPrefix,
        ORDER_URL: order.url,
        INVENTORY_URL: inventory.url,
        ...env,
      },
      options,
    );
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
  afterAll(async () => {
    await Promise.all(open.map((gateway) => gateway.close()));
    await Promise.all([order.stop(), inventory.stop(), redis.stop()]);
  });

  it('when everything is up, then /healthz and /readyz answer 200 without an API key', async () => {
    const gateway = await gatewayWith();

    const alive = await gateway.app.inject('/healthz');
    const ready = await gateway.app.inject('/readyz');

    expect(alive.statusCode).toBe(200);
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({
      status: 'ready',
      checks: { redis: 'ok', order: 'ok', inventory: 'ok' },
    });
    expect(order.calls.map((call) => call.url)).toContain('/healthz');
    expect(inventory.calls.map((call) => call.url)).toContain('/healthz');
  });

  it('when the order service is down, then /readyz is 503 not-ready naming it, and /healthz stays 200', async () => {
    const gateway = await gatewayWith({ ORDER_URL: await closedPort() });

    const problem = expectProblem(await gateway.app.inject('/readyz'), 503, 'not-ready');

    expect(problem.detail).toBe('Not ready: order failing');
    expect((await gateway.app.inject('/healthz')).statusCode).toBe(200);
  });

  it('when Redis is unreachable, then /readyz stays 200 and reports redis failing, since the rate limit fails open without it', async () => {
    const gateway = await gatewayWith(
      { REDIS_URL: 'redis://127.0.0.1:1' },
      { waitForRedis: false },
    );

    const ready = await gateway.app.inject('/readyz');

    expect({ status: ready.statusCode, body: ready.json() }).toEqual({
      status: 200,
      body: { status: 'ready', checks: { redis: 'failing', order: 'ok', inventory: 'ok' } },
    });
  });

  it('when Redis and the order service are both down, then /readyz is 503 naming only the order service', async () => {
    const gateway = await gatewayWith(
      { REDIS_URL: 'redis://127.0.0.1:1', ORDER_URL: await closedPort() },
      { waitForRedis: false },
    );

    const problem = expectProblem(await gateway.app.inject('/readyz'), 503, 'not-ready');

    expect(problem.detail).toBe('Not ready: order failing');
  });

  it('when a client is over its rate limit, then the probes still answer', async () => {
    const gateway = await gatewayWith({
      RATE_LIMIT_MAX: '1',
      REDIS_KEY_PREFIX: `${redis.keyPrefix}probes:`,
    });

    for (let i = 0; i < 3; i += 1) {
      expect((await gateway.app.inject('/healthz')).statusCode).toBe(200);
      expect((await gateway.app.inject('/readyz')).statusCode).toBe(200);
    }
    expect((await gateway.app.inject('/api/products')).statusCode).toBe(401);
    expect((await gateway.app.inject('/api/products')).statusCode).toBe(429);
  });
});
