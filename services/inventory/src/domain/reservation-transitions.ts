import { AppError, type PoolClient, withTransaction } from '@mesh/service-kit';
import type { Span } from '@opentelemetry/api';
import { returnStock } from '../data/product.repository';
import {
  findReservation,
  insertReleasedTombstone,
  type ReservationRecord,
  setReservationStatus,
} from '../data/reservation.repository';
import type { Inventory } from './inventory';
import { reservationNotFound } from './reservation';

/**
 * One of the two ways a RESERVED reservation ends. The HTTP endpoints (the order service
 * calling) and the order-events consumer both end reservations through these, so stock, cache
 * and metrics move the same way whichever path gets there first.
 */
export interface Transition {
  /** The status the reservation ends in. */
  to: 'COMMITTED' | 'RELEASED';
  /** Its outcome in metrics and spans when it changes a reservation. */
  outcome: 'committed' | 'released';
  /** The database side, in the caller's transaction, on a locked RESERVED reservation. */
  apply(client: PoolClient, record: ReservationRecord): Promise<void>;
  /** After the transaction committed: the effects outside PostgreSQL. */
  afterwards(inventory: Inventory, record: ReservationRecord): Promise<void>;
  /** The problem an HTTP caller gets when the reservation already ended the other way. */
  refusal(orderId: string): AppError;
  /**
   * Whether an HTTP call for an order id without a reservation leaves a RELEASED one behind
   * (see transitionReservation); otherwise it is answered 404.
   */
  leavesTombstone: boolean;
}

/** The order was paid: the stock, taken when reserving, stays taken and the sweep skips it. */
export const commit: Transition = {
  to: 'COMMITTED',
  outcome: 'committed',
  apply: (client, record) => setReservationStatus(client, record.orderId, 'COMMITTED'),
  afterwards: async () => {},
  refusal: (orderId) =>
    new AppError('reservation-not-committable', {
      detail: `The reservation for order ${orderId} was released (by the order service, or by the expiry sweep once unconfirmed past its time); its stock was given back.`,
    }),
  leavesTombstone: false,
};

/** The order failed or was cancelled: the stock goes back on sale. */
export const release: Transition = {
  to: 'RELEASED',
  outcome: 'released',
  apply: async (client, record) => {
    // Items come in sku order: the same lock order as reservations take.
    for (const item of record.items) await returnStock(client, item.sku, item.quantity);
    await setReservationStatus(client, record.orderId, 'RELEASED');
  },
  afterwards: (inventory, record) => inventory.cache.invalidate(record.items.map((i) => i.sku)),
  refusal: (orderId) =>
    new AppError('reservation-not-releasable', {
      detail: `The reservation for order ${orderId} is committed; its stock is sold.`,
    }),
  leavesTombstone: true,
};

export interface TransitionResult {
  /**
   * The transition's own outcome when it changed the reservation; `unchanged` when the
   * reservation had already ended this way; `conflict` when it had ended the other way.
   */
  outcome: Transition['outcome'] | 'unchanged' | 'conflict';
  /** The reservation as it is now. */
  record: ReservationRecord;
}

/**
 * Ends a reservation whose row the caller's transaction has locked (so a concurrent commit,
 * release or expiry sweep waits for this one). Doing it twice is harmless. A reservation that
 * already ended the other way is left as it is: a committed reservation's stock is sold, a
 * released one's is back on sale and may have been reserved by someone else since.
 *
 * A RESERVED reservation past its expiry that the sweep has not reached yet still holds its
 * stock, so it may still be committed.
 */
export async function applyTransition(
  client: PoolClient,
  record: ReservationRecord,
  transition: Transition,
): Promise<TransitionResult> {
  if (record.status === transition.to) return { outcome: 'unchanged', record };
  if (record.status !== 'RESERVED') return { outcome: 'conflict', record };
  await transition.apply(client, record);
  return { outcome: transition.outcome, record: { ...record, status: transition.to } };
}

/** After the transaction committed: a change reaches the cache and the metrics. */
export async function settleTransition(
  inventory: Inventory,
  transition: Transition,
  result: TransitionResult,
): Promise<void> {
  if (result.outcome === transition.outcome) {
    await transition.afterwards(inventory, result.record);
    inventory.metrics.countReservations(transition.outcome);
  } else if (result.outcome === 'conflict') {
    inventory.metrics.countReservations('conflict');
  }
}

/**
 * The HTTP endpoints' way in: locks the order's reservation, applies the transition in one
 * transaction and settles it. Returns the reservation as it is now; throws the transition's
 * refusal on a conflict.
 *
 * With no reservation, a commit is answered 404 reservation-not-found. A release leaves a
 * RELEASED reservation without items (a tombstone): the order service releases when its reserve
 * call failed or timed out, and that reservation may still commit afterwards; finding the order
 * id released, it is refused instead of holding stock for an order that does not exist.
 */
export async function transitionReservation(
  inventory: Inventory,
  orderId: string,
  transition: Transition,
  span: Span,
): Promise<ReservationRecord> {
  const result = await withTransaction(inventory.pool, async (client) => {
    let record = await findReservation(client, orderId, { lock: true });
    if (!record && transition.leavesTombstone) {
      if (await insertReleasedTombstone(client, orderId)) {
        span.addEvent('released-before-reserved');
      }
      // The tombstone, or the reservation whose insert the tombstone's had to wait for.
      record = await findReservation(client, orderId, { lock: true });
    }
    if (!record) throw reservationNotFound(orderId);
    span.setAttribute('mesh.inventory.item_count', record.items.length);
    return applyTransition(client, record, transition);
  });
  span.setAttribute('mesh.reservation.changed', result.outcome === transition.outcome);
  await settleTransition(inventory, transition, result);
  if (result.outcome === 'conflict') throw transition.refusal(orderId);
  return result.record;
}
