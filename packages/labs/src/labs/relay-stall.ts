import type { CapturedSpan } from '@mesh/otlp-capture';
import { type Lab, LabFailed, type LabRun, type PlacedOrder } from '../lab';
import { placeConfirmedOrder, rootOf } from './captured';

const PUBLISH_SPAN = 'publish order event';
const PENDING_GAUGE = 'mesh.outbox.pending';
const OLDEST_AGE_GAUGE = 'mesh.outbox.oldest.age';
/** How long the lab watches the stalled relay: the relay passes every 250 ms when it is well. */
const STALL_MS = 4_000;
/** With the relay well, an event goes out at once (a new row wakes it). */
const PROMPT_PUBLISH_MS = 2_000;
const STALLED_ORDERS = 2;

/** The orders placed during the stall, for the recovery to follow. */
const stalledOrders = new WeakMap<LabRun, PlacedOrder[]>();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function publishSpanOf(run: LabRun, order: PlacedOrder): CapturedSpan | undefined {
  return run.env.capture
    .spans()
    .find(
      (span) => span.name === PUBLISH_SPAN && span.attributes['mesh.order.id'] === order.orderId,
    );
}

/** The value of order's gauge in its latest metrics export, if it exported one. */
function latestGauge(run: LabRun, name: string): number | undefined {
  const metric = run.env.capture
    .metrics()
    .filter((entry) => entry.serviceName === 'order' && entry.name === name)
    .at(-1);
  if (!metric || metric.type === 'histogram') return undefined;
  return metric.dataPoints.reduce((sum, point) => sum + point.value, 0);
}

/** Waits until order's latest export of the gauge (one a second in the lab) satisfies `holds`. */
async function gaugeReaches(run: LabRun, name: string, holds: (value: number) => boolean) {
  try {
    return await run.env.capture.waitFor(
      () => {
        const value = latestGauge(run, name);
        return value !== undefined && holds(value) ? { value } : undefined;
      },
      { what: `order's ${name}`, timeoutMs: 10_000 },
    );
  } catch (error) {
    throw new LabFailed((error as Error).message);
  }
}

/** The order's trace with its publish span, and how long after the gateway span it started. */
async function publishedOrder(run: LabRun, order: PlacedOrder) {
  const spans = await run.trace(
    order.traceId,
    (trace) => rootOf(trace) !== undefined && trace.some((span) => span.name === PUBLISH_SPAN),
  );
  const publish = spans.find((span) => span.name === PUBLISH_SPAN) as CapturedSpan;
  const gateway = rootOf(spans) as CapturedSpan;
  const lateMs = Number(publish.startTimeUnixNano - gateway.endTimeUnixNano) / 1e6;
  return { publish, gateway, lateMs };
}

/** A fresh order's event goes out at once and the outbox empties. */
async function expectPromptPublish(run: LabRun, when: string) {
  const order = await placeConfirmedOrder(run);
  const { publish, lateMs } = await publishedOrder(run, order);
  run.note(`"${PUBLISH_SPAN}" after the gateway span ended`, `${Math.round(lateMs)} ms`);
  run.expect(
    lateMs < PROMPT_PUBLISH_MS,
    `${when} the event should be published within ${PROMPT_PUBLISH_MS} ms, took ${lateMs} ms`,
  );
  run.expect(
    publish.traceId === order.traceId,
    `${when} the publish span should be in the order's trace`,
  );
  const pending = await gaugeReaches(run, PENDING_GAUGE, (value) => value === 0);
  run.note(PENDING_GAUGE, pending.value);
}

export const relayStall: Lab = {
  name: 'relay-stall',
  title: 'The stalled outbox relay',
  fault: { flag: 'order-relay-stalled', variant: 'on' },
  readBy: ['order'],
  compose: {
    probe: { promql: 'sum(mesh_outbox_pending)', above: 0 },
  },

  async baseline(run: LabRun) {
    await expectPromptPublish(run, 'with the fault off');
  },

  async symptom(run: LabRun) {
    const orders: PlacedOrder[] = [];
    for (let index = 0; index < STALLED_ORDERS; index += 1) {
      orders.push(await placeConfirmedOrder(run));
    }
    stalledOrders.set(run, orders);
    run.note('order statuses', orders.map((order) => order.status).join(', '));
    await sleep(STALL_MS);
    const published = orders.filter((order) => publishSpanOf(run, order) !== undefined);
    run.note(`"${PUBLISH_SPAN}" spans after ${STALL_MS / 1000} s`, published.length);
    run.expect(
      published.length === 0,
      `no event should be published while the relay is stalled, ${published.length} were`,
    );
    // The gauges are read from the outbox table at each export, so the latest is current.
    const pending = await gaugeReaches(run, PENDING_GAUGE, (value) => value >= orders.length);
    run.note(PENDING_GAUGE, pending.value);
    run.note(`${OLDEST_AGE_GAUGE} (s)`, latestGauge(run, OLDEST_AGE_GAUGE) ?? 'not exported');
  },

  async recovery(run: LabRun) {
    const orders = stalledOrders.get(run) ?? [];
    run.expect(orders.length > 0, 'the symptom step should have left stalled orders to follow');
    for (const order of orders) {
      const { publish, lateMs } = await publishedOrder(run, order);
      run.note(
        `stalled order's "${PUBLISH_SPAN}"`,
        `in its own trace, ${(lateMs / 1000).toFixed(1)} s after the gateway span ended, mesh.outbox.delay_ms=${publish.attributes['mesh.outbox.delay_ms']}`,
      );
      run.expect(
        publishSpanOf(run, order)?.traceId === order.traceId,
        "the late publish span should be in the order's own trace",
      );
      run.expect(
        lateMs >= STALL_MS,
        `the late publish should start at least ${STALL_MS} ms after the gateway span ended, started ${lateMs} ms after`,
      );
    }
    await expectPromptPublish(run, 'with the fault off again');
  },
};
