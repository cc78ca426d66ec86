import { inSpan } from '@mesh/telemetry';
import { trace } from '@opentelemetry/api';
import { commitStock, releaseStock } from '../clients/inventory.client';
import { voidPayment } from '../clients/payment.client';
import type { OrderDependencies } from './dependencies';
import { commitStatus } from './order-status';

// Steps shared by placing an order and by the recovery job that finishes abandoned ones.

const tracer = trace.getTracer('@mesh/order');

/**
 * CONFIRMED, then the reservation committed; false, doing nothing, when the order was already
 * terminal. The commit is best effort: a reservation left RESERVED is committed later from the
 * order's confirmed event, so it must not fail the order.
 */
export async function confirmOrder(deps: OrderDependencies, orderId: string): Promise<boolean> {
  return inSpan(tracer, 'confirm order', { attributes: { 'mesh.order.id': orderId } }, async () => {
    if (!(await commitStatus(deps, { orderId, status: 'CONFIRMED' }))) return false;
    try {
      await commitStock(deps.inventory, orderId);
    } catch (error) {
      deps.logger.warn(
        { err: error, orderId },
        'could not commit the reservation; it stays reserved until the order event commits it',
      );
    }
    return true;
  });
}

/** Gives the stock back; returns the failure, if any, after logging it. */
export async function releaseReservation(
  deps: OrderDependencies,
  orderId: string,
): Promise<unknown> {
  try {
    await inSpan(tracer, 'release stock', { attributes: { 'mesh.order.id': orderId } }, () =>
      releaseStock(deps.inventory, orderId),
    );
    return undefined;
  } catch (error) {
    // Inventory's expiry sweeper releases a reservation nobody committed, so this is not lost.
    deps.logger.warn({ err: error, orderId }, 'could not release the reservation');
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
): Promise<unknown[]> {
  try {
    await inSpan(tracer, 'void payment', { attributes: { 'mesh.order.id': orderId } }, () =>
      voidPayment(deps.payment, orderId),
    );
  } catch (error) {
    deps.logger.warn({ err: error, orderId }, 'could not void the payment');
    return [error];
  }
  const failure = await releaseReservation(deps, orderId);
  return failure === undefined ? [] : [failure];
}
