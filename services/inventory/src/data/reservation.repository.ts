import type { PricedItem, ReservationStatus } from '@mesh/contracts';
import type { Db } from './db';

export interface ReservationRecord {
  orderId: string;
  status: ReservationStatus;
  expiresAt: Date;
  /** Ordered by sku. */
  items: PricedItem[];
}

/**
 * Creates the reservation row unless the order id already has one. Inside a transaction, a
 * concurrent insert of the same order id waits here until the other transaction ends, so two
 * identical requests cannot both take stock. Returns false when the order id was taken.
 */
export async function insertReservation(db: Db, orderId: string, ttlMs: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO reservations (order_id, status, expires_at)
     VALUES ($1, 'RESERVED', now() + make_interval(secs => $2::double precision / 1000))
     ON CONFLICT (order_id) DO NOTHING`,
    [orderId, ttlMs],
  );
  return rowCount === 1;
}

/**
 * A RELEASED reservation without items for an order id that has none: the release came first,
 * and the reservation that may still be on its way must find the order id closed. Waits, like
 * insertReservation, for a concurrent insert of the same order id; false when one exists.
 */
export async function insertReleasedTombstone(db: Db, orderId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO reservations (order_id, status, expires_at)
     VALUES ($1, 'RELEASED', now())
     ON CONFLICT (order_id) DO NOTHING`,
    [orderId],
  );
  return rowCount === 1;
}

export async function insertReservationItems(
  db: Db,
  orderId: string,
  items: PricedItem[],
): Promise<void> {
  await db.query(
    `INSERT INTO reservation_items (order_id, sku, quantity, unit_price_cents)
     SELECT $1, * FROM unnest($2::text[], $3::int[], $4::int[])`,
    [
      orderId,
      items.map((item) => item.sku),
      items.map((item) => item.quantity),
      items.map((item) => item.unitPriceCents),
    ],
  );
}

/** The reservation with its items; `lock` holds its row until the transaction ends. */
export async function findReservation(
  db: Db,
  orderId: string,
  options: { lock?: boolean } = {},
): Promise<ReservationRecord | undefined> {
  const { rows } = await db.query<{ status: ReservationStatus; expires_at: Date }>(
    `SELECT status, expires_at FROM reservations WHERE order_id = $1${options.lock ? ' FOR UPDATE' : ''}`,
    [orderId],
  );
  const row = rows[0];
  if (!row) return undefined;
  const items = await db.query<PricedItem>(
    `SELECT sku, quantity, unit_price_cents AS "unitPriceCents"
       FROM reservation_items WHERE order_id = $1 ORDER BY sku`,
    [orderId],
  );
  return { orderId, status: row.status, expiresAt: row.expires_at, items: items.rows };
}

export async function setReservationStatus(
  db: Db,
  orderId: string,
  status: ReservationStatus,
): Promise<void> {
  await db.query('UPDATE reservations SET status = $2, updated_at = now() WHERE order_id = $1', [
    orderId,
    status,
  ]);
}

/**
 * Locks up to `limit` RESERVED reservations past their expiry. SKIP LOCKED lets several replicas
 * sweep at once without waiting on each other, and skips a reservation that a request is
 * releasing or committing right now.
 */
export async function lockExpiredReservations(db: Db, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ order_id: string }>(
    `SELECT order_id FROM reservations
      WHERE status = 'RESERVED' AND expires_at <= now()
      ORDER BY expires_at
      LIMIT $1
      FOR UPDATE SKIP LOCKED`,
    [limit],
  );
  return rows.map((row) => row.order_id);
}

/** The summed quantities of these reservations per sku, ordered by sku. */
export async function reservedQuantities(
  db: Db,
  orderIds: string[],
): Promise<{ sku: string; quantity: number }[]> {
  const { rows } = await db.query<{ sku: string; quantity: number }>(
    `SELECT sku, sum(quantity)::int AS quantity
       FROM reservation_items WHERE order_id = ANY($1::uuid[])
      GROUP BY sku ORDER BY sku`,
    [orderIds],
  );
  return rows;
}

export async function setReservationsStatus(
  db: Db,
  orderIds: string[],
  status: ReservationStatus,
): Promise<void> {
  await db.query(
    'UPDATE reservations SET status = $2, updated_at = now() WHERE order_id = ANY($1::uuid[])',
    [orderIds, status],
  );
}
