import type { Reservation } from '@mesh/contracts';
import { inSpan } from '@mesh/telemetry';
import { type Inventory, tracer } from './inventory';
import { toReservation } from './reservation';
import { commit, transitionReservation } from './reservation-transitions';

/**
 * Makes a reservation final (the order was paid): its stock stays taken and the expiry sweep
 * leaves it alone. Committing twice is harmless; a released reservation has given its stock
 * back and cannot be committed (409 reservation-not-committable).
 */
export async function commitReservation(
  inventory: Inventory,
  orderId: string,
): Promise<Reservation> {
  const attributes = { 'mesh.order.id': orderId };
  return inSpan(tracer, 'commit reservation', { attributes }, async (span) =>
    toReservation(await transitionReservation(inventory, orderId, commit, span)),
  );
}
