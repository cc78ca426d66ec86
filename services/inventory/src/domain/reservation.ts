import type { Reservation } from '@mesh/contracts';
import { AppError } from '@mesh/service-kit';
import { findReservation, type ReservationRecord } from '../data/reservation.repository';
import type { Inventory } from './inventory';

export function toReservation(record: ReservationRecord): Reservation {
  return {
    orderId: record.orderId,
    status: record.status,
    expiresAt: record.expiresAt.toISOString(),
    items: record.items,
    totalCents: record.items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0),
    currency: 'EUR',
  };
}

export function reservationNotFound(orderId: string): AppError {
  return new AppError('reservation-not-found', {
    detail: `There is no reservation for order ${orderId}.`,
  });
}

export async function getReservation(inventory: Inventory, orderId: string): Promise<Reservation> {
  const record = await findReservation(inventory.pool, orderId);
  if (!record) throw reservationNotFound(orderId);
  return toReservation(record);
}
