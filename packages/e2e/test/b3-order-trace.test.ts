import { randomBytes } from 'node:crypto';
import type { CapturedSpan } from '@mesh/otlp-capture';
import {
  API_KEY,
  api,
  type Environment,
  productWithStock,
  SERVICES,
  startEnvironment,
} from '../src';

const B3_PROPAGATORS = { OTEL_PROPAGATORS: 'tracecontext,baggage,b3' };

describe('an order whose only incoming trace context is a B3 header', () => {
  let env: Environment;
  let spans: CapturedSpan[];
  let orderId: string;
  let responseTraceId: string | null;
  const traceId = randomBytes(16).toString('hex');
  const callerSpanId = randomBytes(8).toString('hex');

  beforeAll(async () => {
    env = await startEnvironment({
      env: Object.fromEntries(SERVICES.map((name) => [name, B3_PROPAGATORS])),
    });
    const sku = await productWithStock(env.db, 10);
    const placed = await api(env.stack, 'POST', '/api/orders', {
      // The stack's key is trusted (TRACE_TRUSTED_API_KEYS defaults to every key).
      headers: { 'x-api-key': API_KEY, b3: `${traceId}-${callerSpanId}-1` },
      body: { customerId: 'b3-customer', items: [{ sku, quantity: 1 }] },
    });
    expect(placed.status).toBe(201);
    orderId = String(placed.body.id);
    responseTraceId = placed.headers.get('x-trace-id');
    await env.capture.waitFor(
      () => {
        const inTrace = env.capture.spans().filter((s) => s.traceId === traceId);
        return (
          SERVICES.every((name) => inTrace.some((s) => s.serviceName === name)) &&
          inTrace.filter((s) => s.kind === 'CONSUMER').length === 2 &&
          inTrace.some((s) => s.name === 'email-provider send')
        );
      },
      { what: `spans of all five services in the B3 trace ${traceId}`, timeoutMs: 30_000 },
    );
    // Spans that end after the last one waited for get a moment.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    spans = env.capture.spans().filter((s) => s.traceId === traceId);
  });
  afterAll(() => env?.stop());

  it("then the gateway continues the caller's trace: same trace id, its span the parent", () => {
    expect(responseTraceId).toBe(traceId);
    const roots = spans.filter((s) => s.parentSpanId === callerSpanId);
    expect(roots.map((s) => `${s.serviceName} ${s.kind}`)).toEqual(['gateway SERVER']);
    // Every other span hangs below it: nothing starts a trace of its own.
    const ids = new Set(spans.map((s) => s.spanId));
    const orphans = spans.filter(
      (s) => s.parentSpanId !== callerSpanId && !ids.has(s.parentSpanId ?? ''),
    );
    expect(orphans).toEqual([]);
  });

  it('then that one trace spans all five services', () => {
    expect(new Set(spans.map((s) => s.serviceName))).toEqual(new Set(SERVICES));
  });

  it('then the Kafka hop is in it: both consumers process the order as children of its send', () => {
    const sends = spans.filter((s) => s.kind === 'PRODUCER');
    expect(sends.map((s) => s.serviceName)).toEqual(['order']);
    expect(sends[0]?.attributes['messaging.kafka.message.key']).toBe(orderId);
    const processes = spans.filter((s) => s.kind === 'CONSUMER');
    expect(processes.map((s) => s.serviceName).sort()).toEqual(['inventory', 'notification']);
    for (const processed of processes) expect(processed.parentSpanId).toBe(sends[0]?.spanId);
  });

  it('then no span about this order lands in another trace', () => {
    const aboutOrder = env.capture
      .spans()
      .filter(
        (s) =>
          s.attributes['messaging.kafka.message.key'] === orderId ||
          s.attributes['mesh.order.id'] === orderId,
      );
    expect(aboutOrder.length).toBeGreaterThan(0);
    expect(aboutOrder.filter((s) => s.traceId !== traceId)).toEqual([]);
  });
});
