import type { CapturedSpan } from '@mesh/otlp-capture';
import { api, type Environment, productWithStock, SERVICES, startEnvironment } from '../src';

const RATIO = 0.1;
const HEAD_SAMPLING = {
  OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
  OTEL_TRACES_SAMPLER_ARG: String(RATIO),
};

/**
 * The SDK's TraceIdRatioBased rule: the four 32-bit words of the trace id XOR-ed together,
 * kept when below ratio × 2³²−1. Deterministic, so which orders are kept can be known exactly.
 */
function keptByRatio(traceId: string, ratio: number): boolean {
  let accumulated = 0;
  for (let i = 0; i < 32; i += 8) {
    accumulated = (accumulated ^ Number.parseInt(traceId.slice(i, i + 8), 16)) >>> 0;
  }
  return accumulated < Math.floor(ratio * 0xffffffff);
}

/** A kept order's trace is whole: all five services, the send and both consumers' process spans. */
function isWhole(spans: CapturedSpan[]): boolean {
  return (
    SERVICES.every((name) => spans.some((s) => s.serviceName === name)) &&
    spans.some((s) => s.kind === 'PRODUCER' && s.serviceName === 'order') &&
    ['inventory', 'notification'].every((name) =>
      spans.some((s) => s.kind === 'CONSUMER' && s.serviceName === name),
    ) &&
    spans.some((s) => s.name === 'email-provider send')
  );
}

describe(`head sampling at ${RATIO * 100} % (parentbased_traceidratio in every service)`, () => {
  let env: Environment;
  const traceIds: string[] = [];
  const expectedKept = () => traceIds.filter((id) => keptByRatio(id, RATIO));

  beforeAll(async () => {
    env = await startEnvironment({
      env: Object.fromEntries(SERVICES.map((name) => [name, HEAD_SAMPLING])),
    });
    const sku = await productWithStock(env.db, 1_000);
    // 60 orders; more if the random trace ids gave fewer than 3 kept ones to check (rare).
    while (traceIds.length < 60 || (expectedKept().length < 3 && traceIds.length < 200)) {
      // The stack's trusted key and no traceparent: the gateway is the root and decides.
      const placed = await api(env.stack, 'POST', '/api/orders', {
        body: { customerId: `sampled-${traceIds.length}`, items: [{ sku, quantity: 1 }] },
      });
      expect(placed.status).toBe(201);
      traceIds.push(placed.headers.get('x-trace-id') ?? '');
    }
    const kept = expectedKept();
    await env.capture.waitFor(
      () => kept.every((id) => isWhole(env.capture.spans().filter((s) => s.traceId === id))),
      { what: `whole traces for the ${kept.length} kept orders`, timeoutMs: 60_000 },
    );
    // Long enough for a dropped trace's spans to have arrived, were any exported.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
  }, 240_000);
  afterAll(() => env?.stop());

  it('then every response names its trace, sampled or not', () => {
    for (const id of traceIds) expect(id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('then exactly the orders the ratio rule keeps have spans, and each of those traces is whole', () => {
    const withSpans = traceIds.filter((id) => env.capture.spans().some((s) => s.traceId === id));
    expect(withSpans).toEqual(expectedKept());
    for (const id of withSpans) {
      expect({ id, whole: isWhole(env.capture.spans().filter((s) => s.traceId === id)) }).toEqual({
        id,
        whole: true,
      });
    }
  });

  it('then no service exports a span of a dropped order, not even below the Kafka hop', () => {
    const orderTraces = new Set(traceIds);
    const kept = new Set(expectedKept());
    const keysOfKept = new Set(
      env.capture
        .spans()
        .filter((s) => kept.has(s.traceId) && s.kind === 'PRODUCER')
        .map((s) => s.attributes['messaging.kafka.message.key']),
    );
    // Consumers of a dropped order's message would start their own trace if they ignored the parent.
    const strayConsumers = env.capture
      .spans()
      .filter(
        (s) =>
          s.kind === 'CONSUMER' && !keysOfKept.has(s.attributes['messaging.kafka.message.key']),
      );
    expect(strayConsumers).toEqual([]);
    expect(
      env.capture.spans().filter((s) => s.kind === 'SERVER' && !orderTraces.has(s.traceId)),
    ).toEqual([]);
  });

  it('then roughly the ratio of orders is kept', () => {
    const share = expectedKept().length / traceIds.length;
    // 60 draws at p = 0.1: mean 6, standard deviation about 2.3; these bounds are far out.
    expect(share).toBeGreaterThanOrEqual(0.015);
    expect(share).toBeLessThanOrEqual(0.25);
  });
});
