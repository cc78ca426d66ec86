import { inSpan } from '@mesh/telemetry';
import { trace } from '@opentelemetry/api';
import { commitStock, isStockGone, releaseStock } from '../clients/inventory.client';
import { voidPayment } from '../clients/payment.client';
import { findOrder } from '../data/order.repository';
import { Deadline } from './deadline';
import type { OrderDependencies } from './dependencies';
import { commitStatus, isTerminal } from './order-status';

// Steps shared by placing an order and by the recovery job that finishes abandoned ones. Each
// call to inventory or payment is bounded by the deadline, when there is one.

const tracer = trace.getTracer('@mesh/order');

/** How confirming a charged order ended. */
export type Confirmation =
  /** The stock committed, then the order CONFIRMED. */
  | 'confirmed'
  /** The reservation had been released: the charge was voided, the order PAYMENT_FAILED. */
  | 'stock-released'
  /** Inventory or payment could not do its part: the order stays in progress for recovery. */
  | 'left'
  /** The order was already terminal: nothing was changed. */
  | 'finished-elsewhere';

/**
 * Confirms a charged order: its reservation is committed in inventory first, and only then is
 * the order CONFIRMED, so no order is ever confirmed without its stock. When inventory refuses
 * the commit because the reservation was released (e.g. by its expiry sweep during a long
 * outage), the order cannot be confirmed: the charge is voided and the order ends PAYMENT_FAILED
 * `stock-released`. When inventory or payment cannot be reached, nothing is decided: the order
 * stays in progress and the recovery job comes back to it through this same function.
 */
export async function confirmOrder(
  deps: OrderDependencies,
  orderId: string,
  deadline: Deadline = Deadline.NONE,
): Promise<Confirmation> {
  const attributes = { 'mesh.order.id': orderId };
  return inSpan(tracer, 'confirm order', { attributes }, async (span) => {
    // Stock is never sold for an order someone else has ended.
    const order = await findOrder(deps.pool, orderId);
    if (!order || isTerminal(order.status)) return 'finished-elsewhere';
    try {
      await inSpan(tracer, 'commit stock', { attributes }, () =>
        commitStock(deps.inventory, orderId, { timeoutMs: deadline.limitFor(deps.inventory) }),
      );
    } catch (error) {
      if (!isStockGone(error)) {
        deps.logger.warn(
          { err: error, orderId },
          'could not commit the reservation; the order stays in progress for the recovery job',
        );
        return 'left';
      }
      span.addEvent('stock released before the confirmation');
      return failWithoutStock(deps, orderId, deadline);
    }
    return (await commitStatus(deps, { orderId, status: 'CONFIRMED' }))
      ? 'confirmed'
      : 'finished-elsewhere';
  });
}

/** The charged order has no stock any more: the charge is voided and the order failed. */
async function failWithoutStock(
  deps: OrderDependencies,
  orderId: string,
  deadline: Deadline,
): Promise<Confirmation> {
  if ((await voidCharge(deps, orderId, deadline)) !== undefined) return 'left';
  const failed = await commitStatus(deps, {
    orderId,
    status: 'PAYMENT_FAILED',
    reason: 'stock-released',
  });
  return failed ? 'stock-released' : 'finished-elsewhere';
}

/** Gives the stock back; returns the failure, if any, after logging it. */
export async function releaseReservation(
  deps: OrderDependencies,
  orderId: string,
  deadline: Deadline = Deadline.NONE,
): Promise<unknown> {
  try {
    await inSpan(tracer, 'release stock', { attributes: { 'mesh.order.id': orderId } }, () =>
      releaseStock(deps.inventory, orderId, { timeoutMs: deadline.limitFor(deps.inventory) }),
    );
    return undefined;
  } catch (error) {
    // Inventory's expiry sweeper releases a reservation nobody committed, so this is not lost.
    deps.logger.warn({ err: error, orderId }, 'could not release the reservation');
    return error;
  }
}

/** Voids the order's payment; returns the failure, if any, after logging it. */
async function voidCharge(
  deps: OrderDependencies,
  orderId: string,
  deadline: Deadline,
): Promise<unknown> {
  try {
    await inSpan(tracer, 'void payment', { attributes: { 'mesh.order.id': orderId } }, () =>
      voidPayment(deps.payment, orderId, { timeoutMs: deadline.limitFor(deps.payment) }),
    );
    return undefined;
  } catch (error) {
    deps.logger.warn({ err: error, orderId }, 'could not void the payment');
    return error;
  }
}

/**
 * Undoes a charge whose result is unknown: voids the payment (reversing any charge and refusing
 * a late one), then releases the stock. Returns what failed; empty when both are done.
 *
 * The stock is released only once the void succeeded: until then the charge may have gone
 * through, and the recovery job may still confirm the order, which then needs its stock.
 */
export async function undoChargeAndReservation(
  deps: OrderDependencies,
  orderId: string,
  deadline: Deadline = Deadline.NONE,
): Promise<unknown[]> {
  const voidFailure = await voidCharge(deps, orderId, deadline);
  if (voidFailure !== undefined) return [voidFailure];
  const failure = await releaseReservation(deps, orderId, deadline);
  return failure === undefined ? [] : [failure];
}
