import type { CapturedSpan } from '@mesh/otlp-capture';
import { durationMs, type Lab, type LabRun } from '../lab';

const CHARGE_SPAN = 'payment-processor charge';

/** The order's trace with the processor's span in it, and the two spans the lab compares. */
async function chargeOf(run: LabRun) {
  const order = await run.placeOrder();
  run.expect(order.status === 'CONFIRMED', `the order should be CONFIRMED, was ${order.status}`);
  const spans = await run.trace(order.traceId, (trace) =>
    trace.some((span) => span.name === CHARGE_SPAN),
  );
  const charge = spans.find((span) => span.name === CHARGE_SPAN) as CapturedSpan;
  const root = spans.find((span) => span.parentSpanId === undefined);
  run.expect(root !== undefined, `trace ${order.traceId} has no root span`);
  return { charge, root, spans };
}

/** The span that is not a parent of any other and lasts longest: where the time goes. */
function slowestLeaf(spans: CapturedSpan[]): CapturedSpan | undefined {
  const parents = new Set(spans.map((span) => span.parentSpanId));
  return spans
    .filter((span) => !parents.has(span.spanId))
    .sort((a, b) => durationMs(b) - durationMs(a))[0];
}

export const slowHop: Lab = {
  name: 'slow-hop',
  title: 'Find the slow hop',
  fault: { flag: 'payment-latency-ms', variant: 'on' },
  readBy: ['payment'],
  env: { payment: { PAYMENT_LATENCY_MS: '20', PAYMENT_LATENCY_JITTER_MS: '0' } },
  compose: {
    probe: { traceql: '{ resource.service.name = "gateway" && duration > 700ms }' },
  },

  async baseline(run: LabRun) {
    const { charge, root } = await chargeOf(run);
    run.note('whole order (gateway span)', `${Math.round(durationMs(root))} ms`);
    run.note(`${CHARGE_SPAN} span`, `${Math.round(durationMs(charge))} ms`);
    run.expect(
      durationMs(charge) < 300,
      'with the fault off the charge should take well under 300 ms',
    );
  },

  async symptom(run: LabRun) {
    const { charge, root, spans } = await chargeOf(run);
    const slowest = slowestLeaf(spans);
    run.note('whole order (gateway span)', `${Math.round(durationMs(root))} ms`);
    run.note(
      'slowest span without children',
      `${slowest?.serviceName} "${slowest?.name}", ${Math.round(durationMs(slowest as CapturedSpan))} ms`,
    );
    run.expect(
      durationMs(charge) >= 790,
      `the charge should take about 800 ms, took ${durationMs(charge)} ms`,
    );
    run.expect(durationMs(root) >= 800, 'the gateway span should include the 800 ms');
    run.expect(
      slowest?.spanId === charge.spanId,
      `the charge should be the slowest leaf, was "${slowest?.name}"`,
    );
  },

  async recovery(run: LabRun) {
    const { charge } = await chargeOf(run);
    run.note(`${CHARGE_SPAN} span`, `${Math.round(durationMs(charge))} ms`);
    run.expect(durationMs(charge) < 300, 'with the fault off again the charge should be fast');
  },
};
