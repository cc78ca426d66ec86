import { type FakeService, startRedis, type TestRedis } from '@mesh/testkit';
import type { InjectOptions } from 'fastify';
import { loadGatewayConfig } from '../src/config';
import { API_KEY } from './support/api-keys';
import { PRODUCTS, startFakeInventory, startFakeOrder } from './support/fakes';
import { startGateway, type TestGateway } from './support/gateway';

const STOREFRONT = 'http://127.0.0.1:8090';
const ELSEWHERE = 'http://127.0.0.1:9999';
const STOREFRONT_HEADERS = 'content-type,idempotency-key,traceparent,x-api-key';

const preflight = (origin: string, requestHeaders = STOREFRONT_HEADERS): InjectOptions => ({
  method: 'OPTIONS',
  url: '/api/orders',
  headers: {
    origin,
    'access-control-request-method': 'POST',
    'access-control-request-headers': requestHeaders,
  },
});
const listProducts = (origin: string): InjectOptions => ({
  method: 'GET',
  url: '/api/products',
  headers: { origin, 'x-api-key': API_KEY },
});

/** A comma-separated header as a list. */
const listOf = (header: unknown) =>
  String(header)
    .split(',')
    .map((entry) => entry.trim());

const corsHeadersOf = (headers: Record<string, unknown>) =>
  Object.keys(headers).filter((name) => name.startsWith('access-control-'));

describe('CORS on the public API', () => {
  let redis: TestRedis;
  let order: FakeService;
  let inventory: FakeService;
  const gateways: TestGateway[] = [];

  const gatewayWith = async (env: Record<string, string>) => {
    const gateway = await startGateway({
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redis.keyPrefix,
      ORDER_URL: order.url,
      INVENTORY_URL: inventory.url,
      ...env,
    });
    gateways.push(gateway);
    return gateway;
  };

  beforeAll(async () => {
    [redis, order, inventory] = await Promise.all([
      startRedis(),
      startFakeOrder(),
      startFakeInventory(),
    ]);
  });
  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.close()));
    await Promise.all([order.stop(), inventory.stop(), redis.stop()]);
  });

  describe('when CORS_ALLOWED_ORIGIN names the storefront', () => {
    let gateway: TestGateway;
    beforeAll(async () => {
      gateway = await gatewayWith({ CORS_ALLOWED_ORIGIN: STOREFRONT });
    });

    it('then its preflight is allowed, with the headers it sends, before any API key', async () => {
      const response = await gateway.app.inject(preflight(STOREFRONT));

      expect(response.statusCode).toBe(204);
      expect(response.headers['access-control-allow-origin']).toBe(STOREFRONT);
      expect(listOf(response.headers['access-control-allow-methods'])).toEqual(
        expect.arrayContaining(['GET', 'POST']),
      );
      const allowed = listOf(response.headers['access-control-allow-headers']);
      expect(allowed).toEqual(expect.arrayContaining(STOREFRONT_HEADERS.split(',')));
      expect(response.headers['access-control-allow-credentials']).toBeUndefined();
      expect(order.calls).toHaveLength(0);
    });

    it('then its requests are answered with its origin and the trace headers exposed', async () => {
      const response = await gateway.app.inject(listProducts(STOREFRONT));

      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ items: PRODUCTS });
      expect(response.headers['access-control-allow-origin']).toBe(STOREFRONT);
      expect(listOf(response.headers['access-control-expose-headers'])).toEqual(
        expect.arrayContaining(['traceresponse', 'x-trace-id', 'location']),
      );
    });

    it('then another origin gets no CORS headers, on a preflight or a request', async () => {
      const refused = await gateway.app.inject(preflight(ELSEWHERE));
      const answered = await gateway.app.inject(listProducts(ELSEWHERE));

      expect(refused.statusCode).toBe(404);
      expect(corsHeadersOf(refused.headers)).toEqual([]);
      expect(corsHeadersOf(answered.headers)).toEqual([]);
    });

    it('then a cross-origin request still needs the API key', async () => {
      const response = await gateway.app.inject({
        method: 'GET',
        url: '/api/products',
        headers: { origin: STOREFRONT },
      });

      expect(response.statusCode).toBe(401);
      // The browser may read the refusal, so the storefront can show it.
      expect(response.headers['access-control-allow-origin']).toBe(STOREFRONT);
    });
  });

  describe('when CORS_ALLOWED_ORIGIN is not set', () => {
    it('then no origin, not even the storefront, gets CORS headers', async () => {
      const gateway = await gatewayWith({});

      const refused = await gateway.app.inject(preflight(STOREFRONT));
      const answered = await gateway.app.inject(listProducts(STOREFRONT));

      expect(refused.statusCode).toBe(404);
      expect(corsHeadersOf(refused.headers)).toEqual([]);
      expect(answered.statusCode).toBe(200);
      expect(corsHeadersOf(answered.headers)).toEqual([]);
    });
  });

  it('when CORS_ALLOWED_ORIGIN is not an origin, then the config names it', () => {
    for (const bad of ['http://127.0.0.1:8090/shop', 'storefront', 'ftp://127.0.0.1']) {
      expect(() => loadGatewayConfig({ CORS_ALLOWED_ORIGIN: bad })).toThrow(/CORS_ALLOWED_ORIGIN/);
    }
    expect(
      loadGatewayConfig({ CORS_ALLOWED_ORIGIN: 'http://LOCALHOST:8090' }).corsAllowedOrigin,
    ).toBe('http://localhost:8090');
  });
});
