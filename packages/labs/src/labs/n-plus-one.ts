import { productWithStock } from '@mesh/e2e';
import type { CapturedSpan } from '@mesh/otlp-capture';
import type { Lab, LabRun, OrderItem } from '../lab';

const RESERVE_SPAN = 'reserve stock';
/** Distinct products per order: the N of N+1. */
const ITEMS = 3;

/** The lab's product and two more, each with stock to spare. */
async function basket(run: LabRun): Promise<OrderItem[]> {
  const others: string[] = [];
  for (let offset = 1; offset < ITEMS; offset += 1) {
    others.push(await productWithStock(run.env.db, 100_000, offset));
  }
  return [run.sku, ...others].map((sku) => ({ sku, quantity: 1 }));
}

/** Places an order of ITEMS products; returns the SELECTs on products under inventory's reserve span. */
async function productSelects(run: LabRun): Promise<CapturedSpan[]> {
  const order = await run.placeOrder({ items: await basket(run) });
  run.expect(order.status === 'CONFIRMED', `the order should be CONFIRMED, was ${order.status}`);
  const isReserve = (span: CapturedSpan) =>
    span.serviceName === 'inventory' && span.name === RESERVE_SPAN;
  const spans = await run.trace(order.traceId, (trace) => trace.some(isReserve));
  const reserve = spans.find(isReserve) as CapturedSpan;
  const selects = spans.filter(
    (span) =>
      span.parentSpanId === reserve.spanId &&
      span.name.startsWith('pg.query:SELECT') &&
      String(span.attributes['db.query.text'] ?? '').includes('FROM products'),
  );
  run.note(
    `SELECTs on products under inventory's "${RESERVE_SPAN}" (${ITEMS} items)`,
    selects.length,
  );
  return selects;
}

export const nPlusOne: Lab = {
  name: 'n-plus-one',
  title: 'N+1 queries',
  fault: { flag: 'inventory-n-plus-one', variant: 'on' },
  readBy: ['inventory'],
  compose: {
    orderItems: [
      { sku: 'MUG-WHITE-350', quantity: 1 },
      { sku: 'STICKER-LOGO', quantity: 1 },
      { sku: 'TOTE-CANVAS', quantity: 1 },
    ],
    probe: {
      traceql:
        '{ resource.service.name = "inventory" && span.db.query.text = "SELECT sku FROM products WHERE sku = $1" }',
    },
  },

  async baseline(run: LabRun) {
    const selects = await productSelects(run);
    run.expect(selects.length === 1, 'with the fault off one SELECT should check every product');
  },

  async symptom(run: LabRun) {
    const selects = await productSelects(run);
    run.expect(
      selects.length === ITEMS,
      `an order of ${ITEMS} products should read them with ${ITEMS} SELECTs, one per item`,
    );
  },

  async recovery(run: LabRun) {
    const selects = await productSelects(run);
    run.expect(selects.length === 1, 'with the fault off again one SELECT should do');
  },
};
