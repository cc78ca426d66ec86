import type { Reservation, ReserveStockRequest } from '@mesh/contracts';
import { AppError, type ServiceClient } from '@mesh/service-kit';

// Calls to the inventory service (contracts: packages/contracts/src/inventory.ts). Reservations
// are keyed by order id.

export async function reserveStock(
  inventory: ServiceClient,
  request: ReserveStockRequest,
): Promise<Reservation> {
  const { body } = await inventory.call<Reservation>('POST', '/reservations', { body: request });
  return body;
}

/** Gives the stock back. A reservation that does not exist has nothing to give back. */
export async function releaseStock(inventory: ServiceClient, orderId: string): Promise<void> {
  try {
    await inventory.call('POST', `/reservations/${encodeURIComponent(orderId)}/release`);
  } catch (error) {
    if (error instanceof AppError && error.code === 'reservation-not-found') return;
    throw error;
  }
}

/** Makes the reservation final: the stock is sold. */
export async function commitStock(inventory: ServiceClient, orderId: string): Promise<void> {
  await inventory.call('POST', `/reservations/${encodeURIComponent(orderId)}/commit`);
}
