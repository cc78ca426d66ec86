import type { Reservation } from '@mesh/contracts';
import { AppError, withTransaction } from '@mesh/service-kit';
import { inSpan } from '@mesh/telemetry';
import { findReservation, setReservationStatus } from '../data/reservation.repository';
import { type Inventory, tracer } from './inventory';
import { reservationNotFound, toReservation } from './reservation';

/**
 * Makes a reservation final (the order was paid): its stock stays taken and the expiry sweep
 * leaves it alone. Committing twice is harmless; a released reservation has given its stock
 * back and cannot be committed.
 *
 * A RESERVED reservation past its expiry that the sweep has not reached yet still holds its
 * stock, so committing it is safe and is allowed.
 */
export async function commitReservation(
  inventory: Inventory,
  orderId: string,
): Promise<Reservation> {
  return inSpan(
    tracer,
    'commit reservation',
    { attributes: { 'mesh.order.id': orderId } },
    async (span) => {
      const { record, committed } = await withTransaction(inventory.pool, async (client) => {
        const record = await findReservation(client, orderId, { lock: true });
        if (!record) throw reservationNotFound(orderId);
        span.setAttribute('mesh.inventory.item_count', record.items.length);
        if (record.status === 'COMMITTED') return { record, committed: false };
        if (record.status === 'RELEASED') {
          throw new AppError('reservation-not-committable', {
            detail: `The reservation for order ${orderId} was released; its stock was given back.`,
          });
        }
        await setReservationStatus(client, orderId, 'COMMITTED');
        return { record: { ...record, status: 'COMMITTED' as const }, committed: true };
      });

      span.setAttribute('mesh.reservation.changed', committed);
      if (committed) inventory.metrics.countReservations('committed');
      return toReservation(record);
    },
  );
}
