import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { eventually, type FakeService, startRedis, type TestRedis } from '@mesh/testkit';
import { API_KEY } from './support/api-keys';
import { startFakeInventory, startFakeOrder } from './support/fakes';
import {
  capturedLogger,
  countingMetrics,
  expectProblem,
  startGateway,
  type TestGateway,
} from './support/gateway';

describe('a gateway under more load than it should take', () => {
  let redis: TestRedis;
  let order: FakeService;
  let inventory: FakeService;
  const open: TestGateway[] = [];

  async function gatewayWith(env: Record<string, string>, options = {}) {
    const gateway = await startGateway(
      {
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: `${redis.keyPrefix}${open.length}:`,
        ORDER_URL: order.url,
        INVENTORY_URL: inventory.url,
        ...env,
      },
      options,
    );
    open.push(gateway);
    return gateway;
  }

  const listProducts = (gateway: TestGateway) =>
    gateway.app.inject({ url: '/api/products', headers: { 'x-api-key': API_KEY } });

  beforeAll(async () => {
    [redis, order, inventory] = await Promise.all([
      startRedis(),
      startFakeOrder(),
      startFakeInventory(),
    ]);
  });
  afterEach(() => {
    inventory.reset();
  });
  afterAll(async () => {
    await Promise.all(open.map((gateway) => gateway.close()));
    await Promise.all([order.stop(), inventory.stop(), redis.stop()]);
  });

  it('when MAX_IN_FLIGHT requests are in progress, then the next is 503 overloaded with Retry-After at once, not forwarded and not logged', async () => {
    const metrics = countingMetrics();
    const { logger, lines } = capturedLogger('info');
    const gateway = await gatewayWith(
      { MAX_IN_FLIGHT: '2', INVENTORY_TIMEOUT_MS: '1500' },
      { logger, metrics },
    );
    inventory.hang(2);
    const waiting = [listProducts(gateway), listProducts(gateway)];
    await eventually(
      () => (inventory.forwarded.length === 2 ? true : undefined),
      'both requests to wait on inventory',
    );

    const started = Date.now();
    const shed = await listProducts(gateway);

    expect(Date.now() - started).toBeLessThan(200);
    expectProblem(shed, 503, 'overloaded');
    expect(shed.headers['retry-after']).toBe('1');
    expect(inventory.forwarded).toHaveLength(2);
    expect(metrics.counts.shed).toBe(1);
    expect(lines.filter((line) => line.code === 'overloaded')).toEqual([]);
    // Probes are not shed.
    expect((await gateway.app.inject('/healthz')).statusCode).toBe(200);

    // Once the waiting requests are done (their time limit), requests pass again.
    expect((await Promise.all(waiting)).map((response) => response.statusCode)).toEqual([504, 504]);
    expect((await listProducts(gateway)).statusCode).toBe(200);
  });

  it('when 200 connections trickle their headers byte by byte, then normal requests still answer quickly, and the slow ones are cut off after HEADERS_TIMEOUT_MS', async () => {
    const headersTimeoutMs = 1_000;
    const gateway = await gatewayWith({ HEADERS_TIMEOUT_MS: String(headersTimeoutMs) });
    await gateway.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = gateway.app.server.address() as { port: number };

    const slow: Socket[] = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => undefined);
        await once(socket, 'connect');
        return socket;
      }),
    );
    const floodStarted = Date.now();
    const closedAt = slow.map(
      (socket) => new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now()))),
    );
    const headers = `GET /api/products HTTP/1.1\r\nHost: localhost\r\nx-api-key: ${API_KEY}\r\nX-Pad: ${'a'.repeat(200)}\r\n\r\n`;
    let sent = 0;
    // One byte per socket every 50 ms: the headers would take about 13 s to arrive.
    const trickle = setInterval(() => {
      for (const socket of slow) if (!socket.destroyed) socket.write(headers.charAt(sent));
      sent += 1;
    }, 50);

    try {
      const timings: number[] = [];
      while (Date.now() - floodStarted < headersTimeoutMs) {
        const started = Date.now();
        const response = await fetch(`http://127.0.0.1:${port}/api/products`, {
          headers: { 'x-api-key': API_KEY },
          signal: AbortSignal.timeout(2_000),
        });
        expect(response.status).toBe(200);
        await response.arrayBuffer();
        timings.push(Date.now() - started);
      }

      expect(timings.length).toBeGreaterThan(5);
      expect(Math.max(...timings)).toBeLessThan(500);
      // Node's default would keep them for 60 s or more; the sweep runs every second.
      const bound = headersTimeoutMs + 2_000;
      const allClosed = await Promise.race([
        Promise.all(closedAt).then((times) => Math.max(...times) - floodStarted),
        new Promise<string>((resolve) => setTimeout(() => resolve('still open'), bound)),
      ]);
      expect(allClosed).toBeLessThan(bound);
      expect(sent).toBeLessThan(headers.length);
    } finally {
      clearInterval(trickle);
      for (const socket of slow) socket.destroy();
    }
  }, 20_000);
});
