import type { Reservation } from '@mesh/contracts';
import { inSpan } from '@mesh/telemetry';
import { type Inventory, tracer } from './inventory';
import { toReservation } from './reservation';
import { release, transitionReservation } from './reservation-transitions';

/**
 * Gives a reservation's stock back (the order failed or was cancelled). Releasing twice is
 * harmless; a committed reservation is sold and cannot be released (409
 * reservation-not-releasable).
 */
export async function releaseReservation(
  inventory: Inventory,
  orderId: string,
): Promise<Reservation> {
  const attributes = { 'mesh.order.id': orderId };
  return inSpan(tracer, 'release stock', { attributes }, async (span) =>
    toReservation(await transitionReservation(inventory, orderId, release, span)),
  );
}
