import type { CapturedSpan } from '@mesh/telemetry/testing';
import { api, type Environment, productWithStock, startEnvironment } from './support/environment';

const dbSystem = (span: CapturedSpan) =>
  span.attributes['db.system.name'] ?? span.attributes['db.system'];

describe('the trace of one order through gateway, order, inventory and payment', () => {
  let env: Environment;
  let spans: CapturedSpan[];
  let traceId: string;
  let traceresponse: string | null;

  beforeAll(async () => {
    env = await startEnvironment();
    const sku = await productWithStock(env.db, 100);
    const placed = await api(env.stack, 'POST', '/api/orders', {
      body: { customerId: 'trace-customer', items: [{ sku, quantity: 2 }] },
    });
    expect(placed.status).toBe(201);
    expect(placed.body.status).toBe('CONFIRMED');
    traceId = placed.headers.get('x-trace-id') ?? '';
    traceresponse = placed.headers.get('traceresponse');
    const services = ['gateway', 'order', 'inventory', 'payment'];
    spans = await env.capture.waitFor(
      () => {
        const inTrace = env.capture.spans().filter((s) => s.traceId === traceId);
        const served = services.every((name) =>
          inTrace.some((s) => s.serviceName === name && s.kind === 'SERVER'),
        );
        return served && inTrace.some((s) => s.name === 'place order') ? inTrace : undefined;
      },
      { what: `SERVER spans of all four services in trace ${traceId}`, timeoutMs: 15_000 },
    );
    // Late spans of the same trace (e.g. the commit after the answer) get a moment to arrive.
    await new Promise((resolve) => setTimeout(resolve, 500));
    spans = env.capture.spans().filter((s) => s.traceId === traceId);
  });
  afterAll(() => env?.stop());

  const byId = () => new Map(spans.map((s) => [s.spanId, s]));

  /** SERVER spans of `callee` whose parent is a CLIENT span of `caller`. */
  function edges(caller: string, callee: string) {
    const index = byId();
    return spans.filter((server) => {
      if (server.serviceName !== callee || server.kind !== 'SERVER' || !server.parentSpanId)
        return false;
      const client = index.get(server.parentSpanId);
      return client?.serviceName === caller && client.kind === 'CLIENT';
    });
  }

  it('when the response comes back, then it names its trace in x-trace-id and traceresponse', () => {
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceresponse).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  });

  it('then the gateway SERVER span is the one root of the trace', () => {
    const roots = spans.filter((s) => !s.parentSpanId);
    expect(roots.map((s) => `${s.serviceName} ${s.kind}`)).toEqual(['gateway SERVER']);
  });

  it('then the edges are gateway → order, order → inventory and order → payment', () => {
    expect(edges('gateway', 'order')).toHaveLength(1);
    // reserve, then commit after the charge
    expect(edges('order', 'inventory').length).toBeGreaterThanOrEqual(1);
    expect(edges('order', 'payment')).toHaveLength(1);
    expect(edges('gateway', 'payment')).toHaveLength(0);
  });

  it('then every HTTP call is one CLIENT span with exactly one SERVER child (no duplicates)', () => {
    const ids = spans.map((s) => s.spanId);
    expect(new Set(ids).size).toBe(ids.length);
    const index = byId();
    for (const server of spans.filter((s) => s.kind === 'SERVER' && s.parentSpanId)) {
      const client = index.get(server.parentSpanId ?? '');
      expect(client?.kind).toBe('CLIENT');
      const siblings = spans.filter(
        (s) => s.parentSpanId === client?.spanId && s.kind === 'SERVER',
      );
      expect(siblings).toHaveLength(1);
    }
  });

  it('then order, inventory and payment query PostgreSQL, and payment uses Redis, inside the trace', () => {
    for (const service of ['order', 'inventory', 'payment']) {
      const queries = spans.filter(
        (s) => s.serviceName === service && dbSystem(s) === 'postgresql',
      );
      expect({ service, queries: queries.length > 0 }).toEqual({ service, queries: true });
      expect(queries.every((s) => s.kind === 'CLIENT')).toBe(true);
    }
    const redis = spans.filter((s) => s.serviceName === 'payment' && dbSystem(s) === 'redis');
    expect(redis.length).toBeGreaterThan(0);
  });

  it('then the business steps are spans with namespaced attributes', () => {
    const placeOrder = spans.find((s) => s.serviceName === 'order' && s.name === 'place order');
    expect(placeOrder?.attributes['mesh.order.id']).toEqual(expect.any(String));
    const charge = spans.find((s) => s.serviceName === 'payment' && s.name === 'charge payment');
    expect(charge?.attributes['mesh.order.id']).toBe(placeOrder?.attributes['mesh.order.id']);
    const reserve = spans.find((s) => s.serviceName === 'inventory' && s.name === 'reserve stock');
    expect(reserve?.attributes['mesh.order.id']).toBe(placeOrder?.attributes['mesh.order.id']);
  });
});
