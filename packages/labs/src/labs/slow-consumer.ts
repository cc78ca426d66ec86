import type { CapturedSpan } from '@mesh/otlp-capture';
import { CONSUMER_LAG_METRIC } from '@mesh/service-kit';
import { durationMs, type Lab, LabFailed, type LabRun, type PlacedOrder } from '../lab';

const SEND_SPAN = 'email-provider send';
/** How long a send waited for the provider, which takes one at a time while the fault is on. */
const PROVIDER_WAIT = 'mesh.notification.provider_wait_ms';
/**
 * Orders a second: twice what notification gets through while the e-mail provider takes one
 * send at a time, 500 ms each.
 */
const ORDERS_PER_SECOND = 4;

/** The notification consumer's lag in its latest metric export, summed over the partitions. */
function notificationLag(run: LabRun): number | undefined {
  const exports = run.env.capture
    .metrics()
    .filter(
      (metric) => metric.serviceName === 'notification' && metric.name === CONSUMER_LAG_METRIC,
    );
  const latest = exports.at(-1);
  if (!latest || latest.type === 'histogram') return undefined;
  return latest.dataPoints.reduce((sum, point) => sum + point.value, 0);
}

/**
 * A steady trickle of orders, the notification lag read once a second meanwhile, for `seconds`
 * or, past `atLeast` seconds, until `enough` holds for the readings. Returns the orders and the
 * readings.
 */
async function trickle(
  run: LabRun,
  seconds: number,
  stop: { atLeast: number; enough: (lag: number[]) => boolean } = {
    atLeast: seconds,
    enough: () => true,
  },
) {
  const placing: Promise<PlacedOrder>[] = [];
  const lag: number[] = [];
  for (let second = 1; second <= seconds; second += 1) {
    for (let order = 0; order < ORDERS_PER_SECOND; order += 1) {
      placing.push(run.placeOrder());
      await pause(1_000 / ORDERS_PER_SECOND);
    }
    lag.push(notificationLag(run) ?? 0);
    if (second >= stop.atLeast && stop.enough(lag)) break;
  }
  const orders = await Promise.all(placing);
  run.expect(
    orders.every((order) => order.orderId !== ''),
    `every order should be accepted, got HTTP ${[...new Set(orders.map((o) => o.httpStatus))].join(', ')}`,
  );
  return { orders, lag };
}

/** The e-mail sends of the given orders' traces (notification's spans under their process span). */
function sendsOf(run: LabRun, orders: PlacedOrder[]): CapturedSpan[] {
  const traces = new Set(orders.map((order) => order.traceId));
  return run.env.capture
    .spans()
    .filter((span) => span.name === SEND_SPAN && traces.has(span.traceId));
}

/** Waits until the lag is at most `most`; returns how long that took, in seconds. */
async function lagDownTo(run: LabRun, most: number, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while ((notificationLag(run) ?? Number.POSITIVE_INFINITY) > most) {
    if (Date.now() - started > timeoutMs) {
      throw new LabFailed(
        `the notification lag should come down to ${most} within ${timeoutMs / 1000} s, is ${notificationLag(run)}`,
      );
    }
    await pause(500);
  }
  return Math.round((Date.now() - started) / 100) / 10;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const slowConsumer: Lab = {
  name: 'slow-consumer',
  title: 'Read consumer lag',
  fault: { flag: 'notification-email-latency-ms', variant: 'on' },
  readBy: ['notification'],
  env: {
    notification: { EMAIL_LATENCY_MS: '5' },
    payment: { PAYMENT_LATENCY_MS: '20', PAYMENT_LATENCY_JITTER_MS: '0' },
  },
  compose: {
    // The broker's view, collected every 15 s; the highest it was while the orders came in.
    probe: {
      promql:
        'max_over_time(sum by (group) (kafka_consumer_group_lag_sum{group="notification"})[2m:15s])',
      above: 10,
    },
    orders: 60,
    settleMs: 5_000,
  },

  async baseline(run: LabRun) {
    const { orders, lag } = await trickle(run, 3);
    const drained = await lagDownTo(run, 1, 15_000);
    run.note('notification lag, once a second', lag.join(', '));
    run.note('lag back to at most 1 after the orders', `${drained} s`);
    const sends = sendsOf(run, orders);
    run.note(`${SEND_SPAN} spans, longest`, `${Math.round(Math.max(...sends.map(durationMs)))} ms`);
    run.expect(
      Math.max(...lag) <= ORDERS_PER_SECOND,
      'with the fault off the consumer should keep up',
    );
  },

  async symptom(run: LabRun) {
    // Orders keep coming until the lag has clearly built up (or 25 s, on a busy machine).
    const climbed = (lag: number[]) => Math.max(...lag.slice(-3)) >= 10;
    const { orders, lag } = await trickle(run, 25, { atLeast: 8, enough: climbed });
    run.note('notification lag, once a second', lag.join(', '));
    const sends = sendsOf(run, orders);
    run.note(
      `${SEND_SPAN} spans so far`,
      `${sends.length} for ${orders.length} orders, shortest ${Math.round(Math.min(...sends.map(durationMs)))} ms`,
    );
    run.expect(sends.length > 0, 'some e-mails should have been sent');
    run.expect(
      sends.every((span) => durationMs(span) >= 490),
      'every e-mail send should take 500 ms or more',
    );
    const waits = sends.map((span) => Number(span.attributes[PROVIDER_WAIT] ?? 0));
    run.note(`${PROVIDER_WAIT}, longest`, `${Math.max(...waits)} ms`);
    run.expect(
      waits.some((wait) => wait >= 400),
      'sends should wait for each other at the provider (one at a time)',
    );
    const early = Math.max(...lag.slice(0, 3));
    run.expect(
      climbed(lag) && Math.max(...lag.slice(-3)) > early,
      `the lag should climb while the orders keep coming (first seconds ${early}, last ${lag.slice(-3).join(', ')})`,
    );
  },

  async recovery(run: LabRun) {
    const drained = await lagDownTo(run, 1, 30_000);
    run.note('lag back to at most 1', `${drained} s after the fault was read as off`);
    const { orders, lag } = await trickle(run, 2);
    await lagDownTo(run, 1, 15_000);
    run.note('notification lag, once a second, with new orders', lag.join(', '));
    const sends = await run.env.capture.waitFor(
      () => {
        const found = sendsOf(run, orders);
        return found.length === orders.length ? found : undefined;
      },
      { what: 'the e-mails of the new orders', timeoutMs: 15_000 },
    );
    run.note(`${SEND_SPAN} spans, longest`, `${Math.round(Math.max(...sends.map(durationMs)))} ms`);
    run.expect(
      sends.every((span) => durationMs(span) < 300),
      'with the fault off again the e-mail sends should be fast',
    );
  },
};
