import { randomUUID } from 'node:crypto';
import {
  type Currency,
  type Order,
  type OrderEvent,
  type OrderStatus,
  type PricedItem,
  TERMINAL_ORDER_STATUSES,
} from '@mesh/contracts';
import type { Pool, PoolClient } from '@mesh/service-kit';
import { captureTraceContext } from '@mesh/telemetry';
import { insertOutboxEvent } from './outbox.repository';

type Db = Pool | PoolClient;

/** Statuses an order can still leave; a terminal status is never overwritten. */
const IN_PROGRESS: OrderStatus[] = ['PENDING', 'STOCK_RESERVED'];

export interface NewOrder {
  id: string;
  customerId: string;
  items: PricedItem[];
  totalCents: number;
  currency: Currency;
  idempotencyKey: string | undefined;
  requestHash: string | undefined;
}

/**
 * Inserts an order as PENDING with its items and first history entry. Call inside a transaction.
 * Returns false, writing nothing, when another order already holds the idempotency key (the
 * insert waits for a concurrent holder to commit or roll back).
 */
export async function insertOrder(tx: PoolClient, order: NewOrder): Promise<boolean> {
  const inserted = await tx.query(
    `INSERT INTO orders (id, customer_id, status, total_cents, currency, idempotency_key, request_hash)
     VALUES ($1, $2, 'PENDING', $3, $4, $5, $6)
     ON CONFLICT (idempotency_key) DO NOTHING
     RETURNING id`,
    [
      order.id,
      order.customerId,
      order.totalCents,
      order.currency,
      order.idempotencyKey ?? null,
      order.requestHash ?? null,
    ],
  );
  if (inserted.rowCount === 0) return false;
  await tx.query(
    `INSERT INTO order_items (order_id, sku, quantity, unit_price_cents)
     SELECT $1, sku, quantity, unit_price_cents
     FROM unnest($2::text[], $3::integer[], $4::integer[]) AS item (sku, quantity, unit_price_cents)`,
    [
      order.id,
      order.items.map((item) => item.sku),
      order.items.map((item) => item.quantity),
      order.items.map((item) => item.unitPriceCents),
    ],
  );
  await tx.query(`INSERT INTO order_status_history (order_id, status) VALUES ($1, 'PENDING')`, [
    order.id,
  ]);
  return true;
}

/** A status change; `eventsTopic` is the topic a terminal status's event is written for. */
export interface StatusChange {
  orderId: string;
  status: OrderStatus;
  reason?: string;
  eventsTopic: string;
}

/**
 * The one way an order's status changes: the order row, a history entry and, for a terminal
 * status, the order's event in the outbox, all in the caller's transaction. Only an order still
 * in progress changes, so each order gets exactly one event; returns false when the order is
 * already terminal (someone else finished it).
 */
export async function changeOrderStatus(tx: PoolClient, change: StatusChange): Promise<boolean> {
  const { orderId, status } = change;
  const reason = change.reason ?? null;
  const updated = await tx.query(
    `UPDATE orders SET status = $2, status_reason = $3, updated_at = now()
     WHERE id = $1 AND status = ANY($4::text[])`,
    [orderId, status, reason, IN_PROGRESS],
  );
  if (updated.rowCount === 0) return false;
  const { rows } = await tx.query<{ at: Date }>(
    'INSERT INTO order_status_history (order_id, status, reason) VALUES ($1, $2, $3) RETURNING at',
    [orderId, status, reason],
  );
  if (TERMINAL_ORDER_STATUSES.includes(status)) {
    const order = await findOrder(tx, orderId);
    if (!order) throw new Error(`order ${orderId} vanished while changing its status`);
    await insertOutboxEvent(tx, {
      topic: change.eventsTopic,
      event: orderEventOf(order, rows[0]?.at ?? new Date()),
      // The active span is the request's (or the recovery job's): the relay's publish joins it.
      traceContext: captureTraceContext(),
    });
  }
  return true;
}

/** The event of an order that just reached its terminal status at `occurredAt`. */
function orderEventOf(order: Order, occurredAt: Date): OrderEvent {
  const status = order.status as OrderEvent['status'];
  const event: OrderEvent = {
    id: randomUUID(),
    type: status === 'CONFIRMED' ? 'order.confirmed' : 'order.cancelled',
    occurredAt: occurredAt.toISOString(),
    orderId: order.id,
    customerId: order.customerId,
    status,
    items: order.items,
    totalCents: order.totalCents,
    currency: order.currency,
  };
  if (order.statusReason !== undefined) event.reason = order.statusReason;
  return event;
}

interface OrderRow {
  id: string;
  customer_id: string;
  status: OrderStatus;
  status_reason: string | null;
  total_cents: number;
  currency: Currency;
  request_hash: string | null;
  created_at: Date;
  updated_at: Date;
  items: { sku: string; quantity: number; unitPriceCents: number }[];
  history: { status: OrderStatus; reason: string | null; at: string }[];
}

const SELECT_ORDER = `
  SELECT o.id, o.customer_id, o.status, o.status_reason, o.total_cents, o.currency,
         o.request_hash, o.created_at, o.updated_at,
         (SELECT coalesce(json_agg(json_build_object(
                    'sku', i.sku, 'quantity', i.quantity, 'unitPriceCents', i.unit_price_cents)
                  ORDER BY i.sku), '[]')
            FROM order_items i WHERE i.order_id = o.id) AS items,
         (SELECT coalesce(json_agg(json_build_object('status', h.status, 'reason', h.reason, 'at', h.at)
                  ORDER BY h.at, h.id), '[]')
            FROM order_status_history h WHERE h.order_id = o.id) AS history
  FROM orders o`;

function toOrder(row: OrderRow): Order {
  const order: Order = {
    id: row.id,
    customerId: row.customer_id,
    status: row.status,
    items: row.items,
    totalCents: row.total_cents,
    currency: row.currency,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    history: row.history.map((entry) => ({
      status: entry.status,
      // JSON carries PostgreSQL's timestamp text; normalise it to the API's ISO form.
      at: new Date(entry.at).toISOString(),
      ...(entry.reason === null ? {} : { reason: entry.reason }),
    })),
  };
  if (row.status_reason !== null) order.statusReason = row.status_reason;
  return order;
}

/** The order with its items and its history in time order. */
export async function findOrder(db: Db, orderId: string): Promise<Order | undefined> {
  const { rows } = await db.query<OrderRow>(`${SELECT_ORDER} WHERE o.id = $1`, [orderId]);
  return rows[0] && toOrder(rows[0]);
}

export async function findOrderByIdempotencyKey(
  db: Db,
  idempotencyKey: string,
): Promise<{ order: Order; requestHash: string | undefined } | undefined> {
  const { rows } = await db.query<OrderRow>(`${SELECT_ORDER} WHERE o.idempotency_key = $1`, [
    idempotencyKey,
  ]);
  const row = rows[0];
  return row && { order: toOrder(row), requestHash: row.request_hash ?? undefined };
}

export interface StaleOrder {
  id: string;
  status: OrderStatus;
}

/**
 * Locks up to `limit` orders still in progress and unchanged for `olderThanMs`, oldest first.
 * SKIP LOCKED: replicas running the same job share the work instead of waiting for each other.
 */
export async function lockStaleOrders(
  tx: PoolClient,
  settings: { olderThanMs: number; limit: number; excludeIds: string[] },
): Promise<StaleOrder[]> {
  const { rows } = await tx.query<StaleOrder>(
    `SELECT id, status FROM orders
     WHERE status = ANY($1::text[])
       AND updated_at <= now() - make_interval(secs => $2::double precision / 1000)
       AND NOT (id = ANY($3::uuid[]))
     ORDER BY updated_at
     LIMIT $4
     FOR UPDATE SKIP LOCKED`,
    [IN_PROGRESS, settings.olderThanMs, settings.excludeIds, settings.limit],
  );
  return rows;
}
