import { ALWAYS_DECLINED_CUSTOMER } from '@mesh/contracts';
import type { CapturedSpan } from '@mesh/otlp-capture';
import { api, type Environment, productWithStock, startEnvironment, stockOf } from '../src';

const SERVICES = ['gateway', 'order', 'inventory', 'payment', 'notification'];
const dbSystem = (span: CapturedSpan) =>
  span.attributes['db.system.name'] ?? span.attributes['db.system'];

/**
 * The spans of one trace, once every service has reported its part: the gateway's request, the
 * order's publish, and both consumers' `process` spans.
 */
async function traceOf(env: Environment, traceId: string): Promise<CapturedSpan[]> {
  await env.capture.waitFor(
    () => {
      const spans = env.capture.spans().filter((s) => s.traceId === traceId);
      const served = SERVICES.every((name) => spans.some((s) => s.serviceName === name));
      const consumed = ['inventory', 'notification'].every((name) =>
        spans.some((s) => s.serviceName === name && s.kind === 'CONSUMER'),
      );
      return served && consumed && spans.some((s) => s.name === 'email-provider send');
    },
    {
      what: `spans of all five services, with both consumers, in trace ${traceId}`,
      timeoutMs: 30_000,
    },
  );
  // Spans that end after the last one waited for (e.g. the consumers' queries) get a moment.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  return env.capture.spans().filter((s) => s.traceId === traceId);
}

describe('one order is one trace: gateway, order, inventory, payment, Kafka, notification', () => {
  let env: Environment;
  let topic: string;
  let sku: string;

  beforeAll(async () => {
    env = await startEnvironment();
    sku = await productWithStock(env.db, 100);
  });
  afterAll(() => env?.stop());

  describe('a confirmed order', () => {
    let spans: CapturedSpan[];
    let traceId: string;
    let traceresponse: string | null;
    let orderId: string;

    beforeAll(async () => {
      const placed = await api(env.stack, 'POST', '/api/orders', {
        body: { customerId: 'trace-customer', items: [{ sku, quantity: 2 }] },
      });
      expect(placed.status).toBe(201);
      expect(placed.body.status).toBe('CONFIRMED');
      orderId = String(placed.body.id);
      traceId = placed.headers.get('x-trace-id') ?? '';
      traceresponse = placed.headers.get('traceresponse');
      spans = await traceOf(env, traceId);
      topic = String(
        spans.find((s) => s.kind === 'PRODUCER')?.attributes['messaging.destination.name'],
      );
    });

    const byId = () => new Map(spans.map((s) => [s.spanId, s]));
    const parentOf = (span: CapturedSpan | undefined) => byId().get(span?.parentSpanId ?? '');

    /** SERVER spans of `callee` whose parent is a CLIENT span of `caller`. */
    function edges(caller: string, callee: string) {
      return spans.filter((server) => {
        const client = parentOf(server);
        return (
          server.serviceName === callee &&
          server.kind === 'SERVER' &&
          client?.serviceName === caller &&
          client.kind === 'CLIENT'
        );
      });
    }

    it('then the response names its trace in x-trace-id and traceresponse', () => {
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(traceresponse).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    });

    it('then one trace id covers spans of all five services, with one root: the gateway SERVER span', () => {
      expect(new Set(spans.map((s) => s.serviceName))).toEqual(new Set(SERVICES));
      const roots = spans.filter((s) => !s.parentSpanId);
      expect(roots.map((s) => `${s.serviceName} ${s.kind}`)).toEqual(['gateway SERVER']);
    });

    it('then the HTTP edges are gateway → order, order → inventory and order → payment', () => {
      expect(edges('gateway', 'order')).toHaveLength(1);
      // The reservation, then its commit after the charge.
      expect(edges('order', 'inventory').length).toBeGreaterThanOrEqual(1);
      expect(edges('order', 'payment')).toHaveLength(1);
      expect(edges('gateway', 'payment')).toHaveLength(0);
    });

    it('then the order service sends one order-events message, and each consumer group processes it as its child', () => {
      const sends = spans.filter((s) => s.kind === 'PRODUCER');
      expect(sends.map((s) => [s.serviceName, s.name])).toEqual([['order', `send ${topic}`]]);
      const send = sends[0] as CapturedSpan;
      expect(send.attributes).toMatchObject({
        'messaging.system': 'kafka',
        'messaging.destination.name': topic,
        'messaging.operation.type': 'send',
        'messaging.kafka.message.key': orderId,
      });
      // The send continues the request's trace through the outbox: its ancestor is `place order`.
      let ancestor = parentOf(send);
      while (ancestor && ancestor.name !== 'place order') ancestor = parentOf(ancestor);
      expect(ancestor?.serviceName).toBe('order');

      const processes = spans.filter((s) => s.kind === 'CONSUMER');
      expect(processes.map((s) => s.serviceName).sort()).toEqual(['inventory', 'notification']);
      for (const processed of processes) {
        expect(processed).toMatchObject({ name: `process ${topic}`, parentSpanId: send.spanId });
        expect(processed.attributes).toMatchObject({
          'messaging.system': 'kafka',
          'messaging.destination.name': topic,
          'messaging.operation.type': 'process',
          'messaging.kafka.message.key': orderId,
          'messaging.destination.partition.id': expect.any(String),
        });
      }
    });

    it("then the e-mail provider call is a child of notification's process span", () => {
      const emails = spans.filter((s) => s.name === 'email-provider send');
      expect(emails).toHaveLength(1);
      expect(emails[0]?.kind).toBe('CLIENT');
      expect(parentOf(emails[0])).toMatchObject({ serviceName: 'notification', kind: 'CONSUMER' });
    });

    it('then every HTTP call is one CLIENT span with one SERVER child, and no span is reported twice', () => {
      const ids = spans.map((s) => s.spanId);
      expect(new Set(ids).size).toBe(ids.length);
      for (const server of spans.filter((s) => s.kind === 'SERVER' && s.parentSpanId)) {
        const client = parentOf(server);
        expect(client?.kind).toBe('CLIENT');
        const siblings = spans.filter(
          (s) => s.parentSpanId === client?.spanId && s.kind === 'SERVER',
        );
        expect(siblings).toHaveLength(1);
      }
    });

    it('then order, inventory, payment and notification query PostgreSQL and payment uses Redis, inside the trace', () => {
      for (const service of ['order', 'inventory', 'payment', 'notification']) {
        const queries = spans.filter(
          (s) => s.serviceName === service && dbSystem(s) === 'postgresql',
        );
        expect({ service, queried: queries.length > 0 }).toEqual({ service, queried: true });
        expect(queries.every((s) => s.kind === 'CLIENT')).toBe(true);
      }
      expect(spans.some((s) => s.serviceName === 'payment' && dbSystem(s) === 'redis')).toBe(true);
    });

    it('then the business steps are spans with namespaced attributes', () => {
      const named = (service: string, name: string) =>
        spans.find((s) => s.serviceName === service && s.name === name);
      expect(named('order', 'place order')?.attributes['mesh.order.id']).toBe(orderId);
      expect(named('inventory', 'reserve stock')?.attributes['mesh.order.id']).toBe(orderId);
      expect(named('payment', 'charge payment')?.attributes['mesh.order.id']).toBe(orderId);
      expect(named('order', 'publish order event')?.attributes['mesh.order.id']).toBe(orderId);
    });

    it("then framework spans are left out and each SERVER span is named after its route, the gateway's carrying the order", () => {
      const framework = spans.filter(
        (s) =>
          s.name === 'request' ||
          s.name === 'pg-pool.connect' ||
          /^(middleware|router|request handler|handler|onRequest|preParsing)( |$)/.test(s.name),
      );
      expect(framework.map((s) => `${s.serviceName} ${s.name}`)).toEqual([]);
      const gateway = spans.find((s) => s.serviceName === 'gateway' && s.kind === 'SERVER');
      expect(gateway?.name).toBe('POST /api/orders');
      expect(gateway?.attributes['http.route']).toBe('/api/orders');
      expect(gateway?.attributes['mesh.order.id']).toBe(orderId);
      expect(gateway?.attributes['mesh.order.status']).toBe('CONFIRMED');
      const servers = spans.filter((s) => s.kind === 'SERVER').map((s) => s.name);
      expect(servers).toEqual(expect.arrayContaining(['POST /orders', 'POST /reservations']));
    });

    it('then every service wrote log records that carry the trace id', async () => {
      const logs = await env.capture.waitFor(
        () => {
          const found = env.capture.logs().filter((l) => l.traceId === traceId);
          const services = new Set(found.map((l) => l.serviceName));
          return SERVICES.every((name) => services.has(name)) ? found : undefined;
        },
        { what: `log records of all five services with trace id ${traceId}` },
      );
      for (const log of logs) expect(log.spanId).toMatch(/^[0-9a-f]{16}$/);
    });
  });

  describe('a declined order', () => {
    it('then the payment span is an error, and inventory and notification consume the cancellation in the same trace', async () => {
      const before = await stockOf(env.db, sku);
      const placed = await api(env.stack, 'POST', '/api/orders', {
        body: { customerId: ALWAYS_DECLINED_CUSTOMER, items: [{ sku, quantity: 3 }] },
      });
      expect(placed.body.status).toBe('PAYMENT_FAILED');
      const traceId = placed.headers.get('x-trace-id') ?? '';
      const spans = await traceOf(env, traceId);

      const processor = spans.find((s) => s.name === 'payment-processor charge');
      expect(processor?.status.code).toBe('ERROR');
      expect(processor?.attributes['error.type']).toBe('payment-declined');

      const send = spans.find((s) => s.kind === 'PRODUCER');
      const consumers = spans.filter(
        (s) => s.kind === 'CONSUMER' && s.parentSpanId === send?.spanId,
      );
      expect(consumers.map((s) => s.serviceName).sort()).toEqual(['inventory', 'notification']);
      expect(await stockOf(env.db, sku)).toBe(before);

      const notifications = await api<{ items: { eventType: string }[] }>(
        env.stack,
        'GET',
        `/api/notifications?orderId=${placed.body.id}`,
      );
      expect(notifications.body.items.map((n) => n.eventType)).toEqual(['order.cancelled']);
    });
  });
});
