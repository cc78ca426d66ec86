import type { Reservation } from '@mesh/contracts';
import { AppError, withTransaction } from '@mesh/service-kit';
import { inSpan } from '@mesh/telemetry';
import { returnStock } from '../data/product.repository';
import { findReservation, setReservationStatus } from '../data/reservation.repository';
import { type Inventory, tracer } from './inventory';
import { reservationNotFound, toReservation } from './reservation';

/**
 * Gives a reservation's stock back (the order failed or was cancelled). Releasing twice is
 * harmless; a committed reservation is sold and cannot be released.
 */
export async function releaseReservation(
  inventory: Inventory,
  orderId: string,
): Promise<Reservation> {
  return inSpan(
    tracer,
    'release stock',
    { attributes: { 'mesh.order.id': orderId } },
    async (span) => {
      const { record, released } = await withTransaction(inventory.pool, async (client) => {
        // The row lock serialises this with a concurrent commit, release or expiry sweep.
        const record = await findReservation(client, orderId, { lock: true });
        if (!record) throw reservationNotFound(orderId);
        span.setAttribute('mesh.inventory.item_count', record.items.length);
        if (record.status === 'RELEASED') return { record, released: false };
        if (record.status === 'COMMITTED') {
          throw new AppError('reservation-not-releasable', {
            detail: `The reservation for order ${orderId} is committed; its stock is sold.`,
          });
        }
        // Items come in sku order: the same lock order as reservations take.
        for (const item of record.items) await returnStock(client, item.sku, item.quantity);
        await setReservationStatus(client, orderId, 'RELEASED');
        return { record: { ...record, status: 'RELEASED' as const }, released: true };
      });

      span.setAttribute('mesh.reservation.changed', released);
      if (released) {
        await inventory.cache.invalidate(record.items.map((item) => item.sku));
        inventory.metrics.countReservations('released');
      }
      return toReservation(record);
    },
  );
}
