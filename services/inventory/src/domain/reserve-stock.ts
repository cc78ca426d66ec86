import type { ItemRequest, PricedItem, Reservation, ReserveStockRequest } from '@mesh/contracts';
import { AppError, type PoolClient, withTransaction } from '@mesh/service-kit';
import { inSpan } from '@mesh/telemetry';
import type { Span } from '@opentelemetry/api';
import { existingSkus, existingSkusOneByOne, takeStock } from '../data/product.repository';
import {
  findReservation,
  insertReservation,
  insertReservationItems,
  type ReservationRecord,
} from '../data/reservation.repository';
import { type Inventory, tracer } from './inventory';
import { toReservation } from './reservation';

export interface ReserveStockResult {
  reservation: Reservation;
  /** False when the order already had this reservation (a retry): nothing was taken again. */
  created: boolean;
}

/**
 * Reserves every line of an order or none, in one transaction:
 * 1. claim the order id (a retry with the same items gets the existing reservation back);
 * 2. refuse unknown SKUs;
 * 3. take stock line by line in sku order, so concurrent reservations lock products in the same
 *    order and queue rather than deadlock; any short line rolls everything back;
 * 4. store the lines with the prices of this moment.
 * Then the cached reads of those products are invalidated.
 */
export async function reserveStock(
  inventory: Inventory,
  request: ReserveStockRequest,
): Promise<ReserveStockResult> {
  const { orderId } = request;
  const lines = mergeLines(request.items);
  const skus = lines.map((line) => line.sku);
  const attributes = { 'mesh.order.id': orderId, 'mesh.inventory.item_count': lines.length };
  return inSpan(tracer, 'reserve stock', { attributes }, async (span) => {
    const faults = await readReservationFaults(inventory);
    const result = await withTransaction(inventory.pool, async (client) => {
      if (!(await insertReservation(client, orderId, inventory.reservationTtlMs))) {
        return { record: await sameReservation(client, orderId, lines), created: false };
      }

      const known = faults.nPlusOne
        ? await existingSkusOneByOne(client, skus)
        : await existingSkus(client, skus);
      const unknown = skus.filter((sku) => !known.has(sku));
      if (unknown.length > 0) {
        throw new AppError('unknown-sku', { detail: `Unknown SKU: ${unknown.join(', ')}.` });
      }

      const items: PricedItem[] = [];
      const short: string[] = [];
      for (const line of lines) {
        if (line.sku === faults.failingSku) failNowAndThen(inventory, span, line.sku);
        const unitPriceCents = await takeStock(client, line.sku, line.quantity);
        if (unitPriceCents === undefined) short.push(line.sku);
        else items.push({ ...line, unitPriceCents });
      }
      if (short.length > 0) {
        for (const sku of short) span.addEvent('out-of-stock', { 'mesh.product.sku': sku });
        inventory.metrics.countReservations('out_of_stock');
        throw new AppError('out-of-stock', { detail: `Not enough stock for ${short.join(', ')}.` });
      }

      await insertReservationItems(client, orderId, items);
      return { record: await mustFind(client, orderId), created: true };
    });

    span.setAttribute('mesh.reservation.created', result.created);
    if (result.created) {
      await inventory.cache.invalidate(skus);
      inventory.metrics.countReservations('reserved');
      inventory.logger.info({ orderId, lines: lines.length }, 'stock reserved');
    }
    return { reservation: toReservation(result.record), created: result.created };
  });
}

/**
 * The workshop faults of a reservation, read once before its transaction starts:
 * inventory-n-plus-one (products checked one query per line) and inventory-failing-sku.
 */
async function readReservationFaults(inventory: Inventory) {
  const [nPlusOne, failingSku] = await Promise.all([
    inventory.faults.on('inventory-n-plus-one'),
    inventory.faults.text('inventory-failing-sku'),
  ]);
  return { nPlusOne, failingSku };
}

/** The share of reservations holding the failing SKU that fail. */
const FAILING_SKU_SHARE = 0.5;

/**
 * Workshop fault inventory-failing-sku: a reservation holding the flag's SKU fails about half the
 * time, as one bad product row would make it: an unexpected error (500) inside the transaction,
 * so the lines taken before it roll back. Only this span names the SKU; the order's errors do not.
 */
function failNowAndThen(inventory: Inventory, span: Span, sku: string): void {
  if (inventory.random() >= FAILING_SKU_SHARE) return;
  span.setAttribute('mesh.product.sku', sku);
  throw new Error('product stock row could not be read');
}

/** One line per sku (quantities of repeated SKUs added up), in the order rows are locked in. */
function mergeLines(items: ItemRequest[]): ItemRequest[] {
  const quantities = new Map<string, number>();
  for (const { sku, quantity } of items) {
    quantities.set(sku, (quantities.get(sku) ?? 0) + quantity);
  }
  // Plain code-unit order, the same as the "C" collation of the sku columns.
  return [...quantities]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([sku, quantity]) => ({ sku, quantity }));
}

/**
 * The order id is taken: fine for a retry of the same request, a conflict otherwise. A released
 * order id takes no stock again: its order gave up on it (the release may even have come before
 * this reservation, see transitionReservation).
 */
async function sameReservation(
  client: PoolClient,
  orderId: string,
  lines: ItemRequest[],
): Promise<ReservationRecord> {
  const existing = await mustFind(client, orderId);
  if (existing.status === 'RELEASED') {
    throw new AppError('reservation-released', {
      detail: `The reservation for order ${orderId} was released; nothing was reserved.`,
    });
  }
  const same =
    existing.items.length === lines.length &&
    existing.items.every(
      (item, i) => item.sku === lines[i]?.sku && item.quantity === lines[i]?.quantity,
    );
  if (!same) {
    throw new AppError('order-id-reused', {
      detail: `Order ${orderId} already has a reservation with other items.`,
    });
  }
  return existing;
}

async function mustFind(client: PoolClient, orderId: string): Promise<ReservationRecord> {
  const record = await findReservation(client, orderId);
  // The row was just inserted, or its insert conflicted with a committed one: it exists.
  if (!record) throw new Error(`reservation ${orderId} not found after claiming it`);
  return record;
}
