import type { CapturedSpan } from '@mesh/otlp-capture';
import type { Lab, LabRun, PlacedOrder } from '../lab';
import { awaitSpan, placeConfirmedOrder, rootOf, rootsByTrace, spansPerService } from './captured';

/** Order's step and payment's use case share the name; the service tells them apart. */
const CHARGE_SPAN = 'charge payment';

const isPaymentServer = (span: CapturedSpan) =>
  span.serviceName === 'payment' && span.kind === 'SERVER';

/** The order's trace with its gateway root and order's charge step in it. */
function orderTrace(run: LabRun, order: PlacedOrder, alsoWaitFor = isPaymentServer) {
  return run.trace(
    order.traceId,
    (spans) =>
      rootOf(spans) !== undefined &&
      spans.some((span) => span.serviceName === 'order' && span.name === CHARGE_SPAN) &&
      spans.some(alsoWaitFor),
  );
}

/** Payment's charge span of the order, in whichever trace it went, and the whole of that trace. */
async function paymentTrace(run: LabRun, order: PlacedOrder) {
  const charge = await awaitSpan(
    run,
    (span) =>
      span.serviceName === 'payment' &&
      span.name === CHARGE_SPAN &&
      span.attributes['mesh.order.id'] === order.orderId,
    `payment's "${CHARGE_SPAN}" span of order ${order.orderId}`,
  );
  return run.trace(
    charge.traceId,
    (spans) => rootOf(spans) !== undefined && spans.some(isPaymentServer),
  );
}

/** What `{ trace:rootService = "order" }` finds in what was captured so far. */
function tracesRootedInOrder(run: LabRun): number {
  return [...rootsByTrace(run).values()].filter((root) => root.serviceName === 'order').length;
}

/** With propagation intact: payment's SERVER span hangs under order's CLIENT span, in one trace. */
async function expectOneTrace(run: LabRun, when: string) {
  const order = await placeConfirmedOrder(run);
  const spans = await orderTrace(run, order);
  const payment = await paymentTrace(run, order);
  const server = spans.find(isPaymentServer) as CapturedSpan;
  const caller = spans.find((span) => span.spanId === server.parentSpanId);
  run.note("the order's trace", spansPerService(spans));
  run.note(
    "payment's SERVER span",
    `"${server.name}", under ${caller?.serviceName} ${caller?.kind}`,
  );
  run.expect(
    payment[0]?.traceId === order.traceId,
    `${when} payment's spans should be in the order's trace ${order.traceId}, were in ${payment[0]?.traceId}`,
  );
  run.expect(
    caller?.serviceName === 'order' && caller.kind === 'CLIENT',
    `${when} payment's SERVER span should be a child of order's CLIENT span`,
  );
}

export const brokenPropagation: Lab = {
  name: 'broken-propagation',
  title: 'A broken propagation',
  fault: { flag: 'order-payment-propagation-broken', variant: 'on' },
  readBy: ['order'],
  compose: {
    probe: { traceql: '{ trace:rootService = "order" }' },
  },

  async baseline(run: LabRun) {
    await expectOneTrace(run, 'with the fault off');
    const rootedInOrder = tracesRootedInOrder(run);
    run.note('traces whose root is an order span', rootedInOrder);
    run.expect(rootedInOrder === 0, 'with the fault off no trace should start in order');
  },

  async symptom(run: LabRun) {
    const order = await placeConfirmedOrder(run);
    // Payment's spans arrive on their own trace; the order's trace is complete once its root is.
    const payment = await paymentTrace(run, order);
    const spans = await orderTrace(run, order, () => true);
    const root = rootOf(payment) as CapturedSpan;
    run.note("the order's trace", spansPerService(spans));
    run.note(
      "the trace holding payment's spans",
      `${payment[0]?.traceId}: ${spansPerService(payment)}; root ${root.serviceName} ${root.kind} "${root.name}"`,
    );
    run.note('traces whose root is an order span', tracesRootedInOrder(run));
    run.expect(
      !spans.some(isPaymentServer),
      "the order's trace should hold no payment SERVER span: the call to payment left it",
    );
    run.expect(
      payment[0]?.traceId !== order.traceId,
      "payment's spans should be in a trace other than the order's",
    );
    run.expect(
      root.serviceName === 'order' && root.kind === 'CLIENT',
      `the other trace's root should be order's CLIENT span, was ${root.serviceName} ${root.kind} "${root.name}"`,
    );
    run.expect(
      payment.some((span) => isPaymentServer(span) && span.parentSpanId === root.spanId),
      "payment's SERVER span should sit directly under that order CLIENT root",
    );
  },

  async recovery(run: LabRun) {
    await expectOneTrace(run, 'with the fault off again');
  },
};
