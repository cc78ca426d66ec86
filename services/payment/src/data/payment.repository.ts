import type { ChargeRequest, Payment, PaymentStatus } from '@mesh/contracts';
import type { Pool, PoolClient } from '@mesh/service-kit';

/** A pool for single statements, or a client inside a transaction. */
export type Db = Pool | PoolClient;

interface PaymentRow {
  id: string;
  order_id: string;
  customer_id: string;
  amount_cents: string;
  currency: 'EUR';
  status: PaymentStatus;
  decline_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

function toPayment(row: PaymentRow): Payment {
  return {
    id: row.id,
    orderId: row.order_id,
    customerId: row.customer_id,
    // bigint arrives as text; the contract caps amounts far below 2^53.
    amountCents: Number(row.amount_cents),
    currency: row.currency,
    status: row.status,
    ...(row.decline_reason === null ? {} : { declineReason: row.decline_reason }),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

async function one(db: Db, sql: string, values: unknown[]): Promise<Payment | undefined> {
  const { rows } = await db.query<PaymentRow>(sql, values);
  return rows[0] && toPayment(rows[0]);
}

export function findPayment(db: Db, orderId: string): Promise<Payment | undefined> {
  return one(db, 'SELECT * FROM payments WHERE order_id = $1', [orderId]);
}

/** The payment row locked until the transaction of `client` ends. */
export function findPaymentForUpdate(
  client: PoolClient,
  orderId: string,
): Promise<Payment | undefined> {
  return one(client, 'SELECT * FROM payments WHERE order_id = $1 FOR UPDATE', [orderId]);
}

/** Undefined when a row for the order already exists (the unique order_id decided). */
export function insertPendingPayment(db: Db, request: ChargeRequest): Promise<Payment | undefined> {
  return one(
    db,
    `INSERT INTO payments (order_id, customer_id, amount_cents, currency, status)
     VALUES ($1, $2, $3, $4, 'PENDING')
     ON CONFLICT (order_id) DO NOTHING
     RETURNING *`,
    [request.orderId, request.customerId, request.amountCents, request.currency],
  );
}

/**
 * Records the processor's answer, but only on a payment still PENDING: undefined means it was
 * voided while the processor was at work.
 */
export function settlePayment(
  db: Db,
  id: string,
  outcome: { status: 'CHARGED' } | { status: 'DECLINED'; reason: string },
): Promise<Payment | undefined> {
  return one(
    db,
    `UPDATE payments SET status = $2, decline_reason = $3, updated_at = now()
     WHERE id = $1 AND status = 'PENDING'
     RETURNING *`,
    [id, outcome.status, outcome.status === 'DECLINED' ? outcome.reason : null],
  );
}

/**
 * A VOIDED row for an order never charged, so that a charge arriving late is refused. Undefined
 * when a row for the order already exists.
 */
export function insertVoidedTombstone(db: Db, orderId: string): Promise<Payment | undefined> {
  return one(
    db,
    `INSERT INTO payments (order_id, customer_id, amount_cents, currency, status)
     VALUES ($1, 'unknown', 0, 'EUR', 'VOIDED')
     ON CONFLICT (order_id) DO NOTHING
     RETURNING *`,
    [orderId],
  );
}

export async function markVoided(db: Db, id: string): Promise<Payment> {
  const voided = await one(
    db,
    `UPDATE payments SET status = 'VOIDED', updated_at = now() WHERE id = $1 RETURNING *`,
    [id],
  );
  if (!voided) throw new Error(`payment ${id} vanished while being voided`);
  return voided;
}
