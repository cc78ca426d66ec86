import type { Reservation, ReserveStockRequest } from '@mesh/contracts';
import { AppError, type CallOptions, type ServiceClient } from '@mesh/service-kit';

// Calls to the inventory service (contracts: packages/contracts/src/inventory.ts). Reservations
// are keyed by order id. `timeoutMs` cuts a call short of the client's own limit (a deadline).

export async function reserveStock(
  inventory: ServiceClient,
  request: ReserveStockRequest,
  { timeoutMs }: Pick<CallOptions, 'timeoutMs'> = {},
): Promise<Reservation> {
  const { body } = await inventory.call<Reservation>('POST', '/reservations', {
    body: request,
    timeoutMs,
  });
  return body;
}

/** Gives the stock back. A reservation that does not exist has nothing to give back. */
export async function releaseStock(
  inventory: ServiceClient,
  orderId: string,
  { timeoutMs }: Pick<CallOptions, 'timeoutMs'> = {},
): Promise<void> {
  try {
    await inventory.call('POST', `/reservations/${encodeURIComponent(orderId)}/release`, {
      timeoutMs,
    });
  } catch (error) {
    if (error instanceof AppError && error.code === 'reservation-not-found') return;
    throw error;
  }
}

/**
 * Makes the reservation final: the stock is sold. Throws `reservation-not-committable` (409)
 * when the reservation was released meanwhile, and `reservation-not-found` (404) when there is
 * none: either way the order has no stock.
 */
export async function commitStock(
  inventory: ServiceClient,
  orderId: string,
  { timeoutMs }: Pick<CallOptions, 'timeoutMs'> = {},
): Promise<void> {
  await inventory.call('POST', `/reservations/${encodeURIComponent(orderId)}/commit`, {
    timeoutMs,
  });
}

/** The answer of commitStock when the order's stock is gone: the order cannot be confirmed. */
export function isStockGone(error: unknown): boolean {
  return (
    error instanceof AppError &&
    (error.code === 'reservation-not-committable' || error.code === 'reservation-not-found')
  );
}
