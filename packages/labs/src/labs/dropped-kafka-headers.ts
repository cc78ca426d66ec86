import type { CapturedSpan } from '@mesh/otlp-capture';
import type { Lab, LabRun, PlacedOrder } from '../lab';
import { awaitSpan, placeConfirmedOrder, rootsByTrace, spansPerService } from './captured';

const PUBLISH_SPAN = 'publish order event';
const CONSUMERS = ['inventory', 'notification'] as const;

/** The order's trace once the relay published its event: the publish span and the kafkajs send. */
async function published(run: LabRun, order: PlacedOrder) {
  const spans = await run.trace(
    order.traceId,
    (trace) =>
      trace.some((span) => span.name === PUBLISH_SPAN) &&
      trace.some((span) => span.kind === 'PRODUCER'),
  );
  const publish = spans.find((span) => span.name === PUBLISH_SPAN) as CapturedSpan;
  const send = spans.find((span) => span.kind === 'PRODUCER') as CapturedSpan;
  return { eventId: String(publish.attributes['mesh.event.id']), publish, send };
}

/**
 * A consumer's CONSUMER span for one event, wherever its trace is: found from the span of that
 * service naming the event id (notification's CONSUMER span itself, inventory's "apply order
 * event" under it), then up its parents.
 */
async function consumerSpan(
  run: LabRun,
  service: (typeof CONSUMERS)[number],
  eventId: string,
): Promise<CapturedSpan> {
  const named = await awaitSpan(
    run,
    (span) => span.serviceName === service && span.attributes['mesh.event.id'] === eventId,
    `${service}'s span of event ${eventId}`,
  );
  const consumerAbove = (spans: CapturedSpan[]) => {
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    for (
      let span: CapturedSpan | undefined = named;
      span;
      span = byId.get(span.parentSpanId ?? '')
    ) {
      if (span.kind === 'CONSUMER' && span.serviceName === service) return span;
    }
    return undefined;
  };
  const spans = await run.trace(named.traceId, (trace) => consumerAbove(trace) !== undefined);
  return consumerAbove(spans) as CapturedSpan;
}

/** What `{ kind = consumer && trace:rootService != "gateway" }` finds in what was captured. */
function consumerTracesNotFromGateway(run: LabRun): number {
  const roots = rootsByTrace(run);
  const traces = run.env.capture
    .spans()
    .filter((span) => span.kind === 'CONSUMER')
    .map((span) => span.traceId)
    .filter((traceId) => roots.has(traceId) && roots.get(traceId)?.serviceName !== 'gateway');
  return new Set(traces).size;
}

/** With headers intact: both consumers process the event inside the order's trace. */
async function expectConsumersInOrderTrace(run: LabRun, when: string) {
  const order = await placeConfirmedOrder(run);
  const { eventId, send } = await published(run, order);
  for (const service of CONSUMERS) {
    const consumer = await consumerSpan(run, service, eventId);
    run.note(
      `${service}'s CONSUMER span`,
      `"${consumer.name}" ${consumer.traceId === order.traceId ? "in the order's trace" : `in trace ${consumer.traceId}`}`,
    );
    run.expect(
      consumer.traceId === order.traceId,
      `${when} ${service}'s CONSUMER span should be in the order's trace ${order.traceId}`,
    );
    run.expect(
      consumer.parentSpanId === send.spanId,
      `${when} ${service}'s CONSUMER span should be a child of order's "${send.name}" span`,
    );
  }
}

export const droppedKafkaHeaders: Lab = {
  name: 'dropped-kafka-headers',
  title: 'Kafka headers dropped',
  fault: { flag: 'order-kafka-headers-dropped', variant: 'on' },
  readBy: ['order'],
  compose: {
    probe: { traceql: '{ kind = consumer && trace:rootService != "gateway" }' },
  },

  async baseline(run: LabRun) {
    await expectConsumersInOrderTrace(run, 'with the fault off');
    const elsewhere = consumerTracesNotFromGateway(run);
    run.note('traces with a CONSUMER span whose root is not the gateway', elsewhere);
    run.expect(
      elsewhere === 0,
      'with the fault off every CONSUMER span should be in a gateway trace',
    );
  },

  async symptom(run: LabRun) {
    const order = await placeConfirmedOrder(run);
    const { eventId, publish, send } = await published(run, order);
    run.note("the order's trace", `"${publish.name}" and "${send.name}" (${send.kind}) in it`);
    for (const service of CONSUMERS) {
      const consumer = await consumerSpan(run, service, eventId);
      const root = consumer.parentSpanId === undefined;
      run.note(
        `${service}'s CONSUMER span of event ${eventId}`,
        `"${consumer.name}" in trace ${consumer.traceId}, ${root ? 'its root' : `parent ${consumer.parentSpanId}`}`,
      );
      run.expect(
        consumer.traceId !== order.traceId,
        `${service}'s CONSUMER span should be outside the order's trace`,
      );
      run.expect(root, `${service}'s CONSUMER span should be the root of a trace of its own`);
    }
    // Both consumers are done, so whatever the order's trace has by now is all it gets.
    const spans = await run.trace(order.traceId);
    run.note("the order's trace, complete", spansPerService(spans));
    run.expect(
      !spans.some((span) => span.kind === 'CONSUMER'),
      "the order's trace should hold no CONSUMER span",
    );
  },

  async recovery(run: LabRun) {
    await expectConsumersInOrderTrace(run, 'with the fault off again');
  },
};
