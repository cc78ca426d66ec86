import type { CapturedSpan } from '@mesh/otlp-capture';
import type { Lab, LabRun, PlacedOrder } from '../lab';

/** The flag's variant "on"; a product of the seed. */
const FAILING_SKU = 'MUG-BLUE-350';
/**
 * Half fail at random, so the lab places orders until it has seen both a failed and a confirmed
 * one (at least MIN_ORDERS, at most MAX_ORDERS: missing either in 40 is a chance of 1 in 2^39).
 */
const MIN_ORDERS = 8;
const MAX_ORDERS = 40;

const inError = (span: CapturedSpan) => span.status.code === 'ERROR';
/** What the guide's TraceQL asks: { status = error && span.mesh.product.sku = "MUG-BLUE-350" }. */
const namesTheSku = (span: CapturedSpan) =>
  inError(span) && span.attributes['mesh.product.sku'] === FAILING_SKU;

/**
 * Places orders holding the failing SKU (and the lab's product), each with its trace's spans:
 * `count` of them, and then more while `untilSeen` is false (up to MAX_ORDERS).
 */
async function ordersWithTheSku(
  run: LabRun,
  count: number,
  untilSeen: (orders: { order: PlacedOrder }[]) => boolean = () => true,
) {
  // Enough stock that only the fault can make a reservation fail.
  await run.env.db.query('UPDATE inventory.products SET stock = 100000 WHERE sku = $1', [
    FAILING_SKU,
  ]);
  const orders: { order: PlacedOrder; spans: CapturedSpan[] }[] = [];
  for (let index = 0; index < count || (!untilSeen(orders) && index < MAX_ORDERS); index += 1) {
    const order = await run.placeOrder({
      items: [
        { sku: FAILING_SKU, quantity: 1 },
        { sku: run.sku, quantity: 1 },
      ],
    });
    // The gateway's server span ends last.
    const spans = await run.trace(order.traceId, (trace) =>
      trace.some((span) => span.serviceName === 'gateway' && span.parentSpanId === undefined),
    );
    orders.push({ order, spans });
  }
  run.note('answers', orders.map(({ order }) => order.status || order.httpStatus).join(', '));
  return orders;
}

export const failingSku: Lab = {
  name: 'failing-sku',
  title: 'One SKU fails now and then',
  fault: { flag: 'inventory-failing-sku', variant: 'on' },
  readBy: ['inventory'],
  env: { payment: { PAYMENT_DECLINE_RATE: '0' } },
  compose: {
    orderItems: [{ sku: FAILING_SKU, quantity: 1 }],
    orders: 8,
    probe: { traceql: `{ status = error && span.mesh.product.sku = "${FAILING_SKU}" }` },
  },

  async baseline(run: LabRun) {
    const orders = await ordersWithTheSku(run, 3);
    run.expect(
      orders.every(({ order, spans }) => order.status === 'CONFIRMED' && !spans.some(inError)),
      `with the fault off every order holding ${FAILING_SKU} should be CONFIRMED, no span in error`,
    );
  },

  async symptom(run: LabRun) {
    const orders = await ordersWithTheSku(
      run,
      MIN_ORDERS,
      (placed) =>
        placed.some(({ order }) => order.status === 'CONFIRMED') &&
        placed.some(({ order }) => order.status !== 'CONFIRMED'),
    );
    const failed = orders.filter(({ order }) => order.status !== 'CONFIRMED');
    run.note(
      'services in error in a failed order',
      [...new Set(failed.flatMap(({ spans }) => spans.filter(inError).map((s) => s.serviceName)))]
        .sort()
        .join(', '),
    );
    run.note(
      `spans in error naming ${FAILING_SKU}, per failed order`,
      failed
        .map(({ spans }) =>
          spans
            .filter(namesTheSku)
            .map((span) => `${span.serviceName} "${span.name}"`)
            .join(', '),
        )
        .join('; '),
    );
    run.expect(failed.length > 0, `some of ${orders.length} orders should fail`);
    run.expect(
      failed.length < orders.length,
      `only about half of ${orders.length} orders should fail, ${failed.length} did`,
    );
    run.expect(
      failed.every(({ order }) => order.httpStatus >= 500),
      'a failed order should be answered with a 5xx',
    );
    for (const { order, spans } of failed) {
      const found = spans.filter(namesTheSku);
      run.expect(
        found.length === 1 &&
          found[0]?.serviceName === 'inventory' &&
          found[0]?.name === 'reserve stock',
        `trace ${order.traceId}: inventory's "reserve stock" span should be the one error span naming ${FAILING_SKU}`,
      );
      run.expect(
        spans.some((span) => inError(span) && span.serviceName === 'order'),
        `trace ${order.traceId}: the order service should be in error too`,
      );
    }
    const confirmed = orders.filter(({ order }) => order.status === 'CONFIRMED');
    run.expect(
      confirmed.every(({ spans }) => !spans.some(namesTheSku)),
      `no confirmed order should have a span in error naming ${FAILING_SKU}`,
    );
  },

  async recovery(run: LabRun) {
    const orders = await ordersWithTheSku(run, 3);
    run.expect(
      orders.every(({ order }) => order.status === 'CONFIRMED'),
      'with the fault off again every order should be CONFIRMED',
    );
  },
};
