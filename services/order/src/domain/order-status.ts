import { randomUUID } from 'node:crypto';
import {
  type Order,
  type OrderEvent,
  type OrderStatus,
  TERMINAL_ORDER_STATUSES,
} from '@mesh/contracts';
import { type PoolClient, withTransaction } from '@mesh/service-kit';
import { captureTraceContext } from '@mesh/telemetry';
import { findOrder, insertStatusHistory, updateOrderStatus } from '../data/order.repository';
import { appendOutboxEvent } from '../data/outbox.repository';
import type { OrderDependencies } from './dependencies';

// The rule of an order's life: it changes status only while in progress, every change is in its
// history, and the change to a terminal status writes the order's one event to the outbox.

/** Statuses an order can still leave; a terminal status is never overwritten. */
export const IN_PROGRESS_STATUSES: readonly OrderStatus[] = ['PENDING', 'STOCK_RESERVED'];

export interface StatusChange {
  orderId: string;
  status: OrderStatus;
  reason?: string;
}

export function isTerminal(status: OrderStatus): boolean {
  return TERMINAL_ORDER_STATUSES.includes(status);
}

/**
 * Changes the order's status in the caller's transaction: the order row, a history entry and,
 * for a terminal status, the order's event in the outbox. Only an order still in progress
 * changes, so each order gets exactly one event; false when it is already terminal (someone
 * else finished it).
 */
export async function changeStatus(tx: PoolClient, change: StatusChange): Promise<boolean> {
  const { orderId, status, reason } = change;
  if (!(await updateOrderStatus(tx, { orderId, status, reason, from: IN_PROGRESS_STATUSES }))) {
    return false;
  }
  const changedAt = await insertStatusHistory(tx, { orderId, status, reason });
  if (isTerminal(status)) {
    const order = await findOrder(tx, orderId);
    if (!order) throw new Error(`order ${orderId} vanished while changing its status`);
    await appendOutboxEvent(tx, {
      event: orderEventOf(order, changedAt),
      // The active span is the request's (or the recovery job's): the relay's publish joins it.
      traceContext: captureTraceContext(),
    });
  }
  return true;
}

/**
 * Changes the order's status in a transaction of its own, after `first` (e.g. inserting the
 * order) when given; nothing is written when `first` returns false. Once a terminal status is
 * committed, the relay is woken so that the event goes out now rather than at its next poll.
 */
export async function commitStatus(
  deps: OrderDependencies,
  change: StatusChange,
  first?: (tx: PoolClient) => Promise<boolean>,
): Promise<boolean> {
  const changed = await withTransaction(deps.pool, async (tx) => {
    if (first && !(await first(tx))) return false;
    return changeStatus(tx, change);
  });
  if (changed && isTerminal(change.status)) deps.outbox.wake();
  return changed;
}

/** The event of an order that just reached its terminal status at `occurredAt`. */
function orderEventOf(order: Order, occurredAt: Date): OrderEvent {
  const status = order.status as OrderEvent['status'];
  const event: OrderEvent = {
    id: randomUUID(),
    type: status === 'CONFIRMED' ? 'order.confirmed' : 'order.cancelled',
    occurredAt: occurredAt.toISOString(),
    orderId: order.id,
    customerId: order.customerId,
    status,
    items: order.items,
    totalCents: order.totalCents,
    currency: order.currency,
  };
  if (order.statusReason !== undefined) event.reason = order.statusReason;
  return event;
}
