import type { Currency, Order, OrderStatus, PricedItem } from '@mesh/contracts';
import type { Pool, PoolClient } from '@mesh/service-kit';

type Db = Pool | PoolClient;

export interface NewOrder {
  id: string;
  customerId: string;
  items: PricedItem[];
  totalCents: number;
  currency: Currency;
  idempotencyKey: string | undefined;
  /** Tells a retry under the same id or key from a different request. */
  requestHash: string;
}

/**
 * Inserts an order as PENDING with its items and first history entry. Call inside a transaction.
 * Returns false, writing nothing, when another order already holds the id or the idempotency key
 * (the insert waits for a concurrent holder to commit or roll back).
 */
export async function insertOrder(tx: PoolClient, order: NewOrder): Promise<boolean> {
  const inserted = await tx.query(
    `INSERT INTO orders (id, customer_id, status, total_cents, currency, idempotency_key, request_hash)
     VALUES ($1, $2, 'PENDING', $3, $4, $5, $6)
     ON CONFLICT DO NOTHING
     RETURNING id`,
    [
      order.id,
      order.customerId,
      order.totalCents,
      order.currency,
      order.idempotencyKey ?? null,
      order.requestHash,
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

export interface StatusUpdate {
  orderId: string;
  status: OrderStatus;
  reason: string | undefined;
  /** The order changes only while its status is one of these. */
  from: readonly OrderStatus[];
}

/** Sets the order's status; false, changing nothing, when its status is not one of `from`. */
export async function updateOrderStatus(tx: PoolClient, update: StatusUpdate): Promise<boolean> {
  const updated = await tx.query(
    `UPDATE orders SET status = $2, status_reason = $3, updated_at = now()
     WHERE id = $1 AND status = ANY($4::text[])`,
    [update.orderId, update.status, update.reason ?? null, update.from],
  );
  return updated.rowCount === 1;
}

/** Appends an entry to the order's history; returns when it happened. */
export async function insertStatusHistory(
  tx: PoolClient,
  entry: { orderId: string; status: OrderStatus; reason: string | undefined },
): Promise<Date> {
  const { rows } = await tx.query<{ at: Date }>(
    'INSERT INTO order_status_history (order_id, status, reason) VALUES ($1, $2, $3) RETURNING at',
    [entry.orderId, entry.status, entry.reason ?? null],
  );
  return rows[0]?.at ?? new Date();
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

export interface OrderAndHash {
  order: Order;
  /** Undefined for orders stored before every order kept its request's hash. */
  requestHash: string | undefined;
}

export async function findOrderByIdempotencyKey(
  db: Db,
  idempotencyKey: string,
): Promise<OrderAndHash | undefined> {
  const { rows } = await db.query<OrderRow>(`${SELECT_ORDER} WHERE o.idempotency_key = $1`, [
    idempotencyKey,
  ]);
  return rows[0] && withHash(rows[0]);
}

/** The order with the hash of the request that made it, to tell a retry from another request. */
export async function findOrderAndHash(db: Db, orderId: string): Promise<OrderAndHash | undefined> {
  const { rows } = await db.query<OrderRow>(`${SELECT_ORDER} WHERE o.id = $1`, [orderId]);
  return rows[0] && withHash(rows[0]);
}

function withHash(row: OrderRow): OrderAndHash {
  return { order: toOrder(row), requestHash: row.request_hash ?? undefined };
}

export interface StaleOrder {
  id: string;
  status: OrderStatus;
  updated_at: Date;
}

/**
 * Claims, until `leaseMs` from now, up to `limit` orders in one of `statuses`, unchanged for
 * `olderThanMs` and not claimed by anyone else; returns them oldest first. One statement, so one
 * short transaction. SKIP LOCKED: replicas claiming at the same moment take disjoint orders.
 */
export async function claimStaleOrders(
  db: Db,
  settings: {
    statuses: readonly OrderStatus[];
    olderThanMs: number;
    leaseMs: number;
    limit: number;
    excludeIds: string[];
  },
): Promise<StaleOrder[]> {
  const { rows } = await db.query<StaleOrder>(
    `UPDATE orders SET claimed_until = now() + make_interval(secs => $3::double precision / 1000)
     WHERE id IN (
       SELECT id FROM orders
       WHERE status = ANY($1::text[])
         AND updated_at <= now() - make_interval(secs => $2::double precision / 1000)
         AND (claimed_until IS NULL OR claimed_until < now())
         AND NOT (id = ANY($4::uuid[]))
       ORDER BY updated_at
       LIMIT $5
       FOR UPDATE SKIP LOCKED)
     RETURNING id, status, updated_at`,
    [
      settings.statuses,
      settings.olderThanMs,
      settings.leaseMs,
      settings.excludeIds,
      settings.limit,
    ],
  );
  return rows.sort((a, b) => a.updated_at.getTime() - b.updated_at.getTime());
}

/** Ends claims before their lease runs out. */
export async function releaseClaims(db: Db, orderIds: string[]): Promise<void> {
  await db.query('UPDATE orders SET claimed_until = NULL WHERE id = ANY($1::uuid[])', [orderIds]);
}
