import type { Pool } from 'pg';
import type { SentOrder } from './load';

// What Mesh guarantees, checked against what the databases hold after a fault healed. The
// checker reads state and judges it; `evaluateInvariants` is pure so a test can hand it a state
// with a planted violation and see it reported.

export const INVARIANTS = {
  1: 'every accepted order reaches a terminal state',
  2: 'every terminal order has exactly one notification, and none is without an order',
  3: 'a payment is CHARGED exactly when its order is CONFIRMED, and a charged order is findable',
  4: 'reservations follow their orders and stock adds up',
  5: 'no process died unless it was killed, and every killed one is back and ready',
  6: 'during an outage the gateway answers fast and honestly, and is ready soon after the heal',
} as const;
export type InvariantId = keyof typeof INVARIANTS;

const TERMINAL = new Set(['CONFIRMED', 'REJECTED', 'PAYMENT_FAILED']);

export interface Violation {
  invariant: InvariantId;
  detail: string;
}

/** What the databases say, for the orders of one scenario and globally where it must hold. */
export interface MeshState {
  /** The scenario's orders, by id. */
  orders: Map<string, { customerId: string; status: string }>;
  /** Every order id in the database (for orphans). */
  allOrderIds: Set<string>;
  /** Notifications per order id, over the whole database. */
  notifications: Map<string, number>;
  /** Payment status per order id. */
  payments: Map<string, string>;
  /** Reservation status per order id. */
  reservations: Map<string, string>;
  /** Current stock and units held by RESERVED and COMMITTED reservations, per SKU. */
  stock: Map<string, { stock: number; reserved: number; committed: number }>;
}

/** What happened to the processes and the gateway during the scenario. */
export interface ScenarioRecord {
  sent: SentOrder[];
  initialStock: Map<string, number>;
  /** Crashes nobody asked for, per service. */
  unexpectedExits: Map<string, number>;
  /** Services that were not ready when the check ran. */
  notReady: string[];
  /** Times when a backing service was down; answers sent then are judged by invariant 6. */
  outages: { from: number; to: number }[];
  /** How long the gateway took to be ready after the last heal, if there was an outage. */
  readyAfterHealMs: number | undefined;
  /** For a failed keyed request whose customer has an order: what a retry with the key got. */
  replays: Map<string, { status: number; orderId: string | undefined }>;
  /** Reservations without an order that an earlier scenario already reported. */
  knownOrphans: ReadonlySet<string>;
}

/** An answer during an outage may take this long; a time-out of a dependency is slower. */
export const OUTAGE_ANSWER_LIMIT_MS = 3_000;
/** The gateway must be ready again this soon after a backing service came back. */
export const READY_AFTER_HEAL_LIMIT_MS = 10_000;

export function evaluateInvariants(state: MeshState, record: ScenarioRecord): Violation[] {
  const violations: Violation[] = [];
  const add = (invariant: InvariantId, detail: string) => violations.push({ invariant, detail });
  const byCustomer = new Map<string, string>();
  for (const [id, order] of state.orders) byCustomer.set(order.customerId, id);

  // 1. Accepted orders, and any order that exists at all, end terminal.
  for (const sent of record.sent) {
    if (sent.status < 200 || sent.status >= 300) continue;
    const order = sent.orderId ? state.orders.get(sent.orderId) : undefined;
    if (!order)
      add(
        1,
        `${sent.customerId}: answered ${sent.status} but order ${sent.orderId} does not exist`,
      );
    else if (!TERMINAL.has(order.status))
      add(1, `${sent.customerId}: accepted order ${sent.orderId} is still ${order.status}`);
  }
  for (const [id, order] of state.orders) {
    if (!TERMINAL.has(order.status) && !record.sent.some((s) => s.orderId === id))
      add(
        1,
        `${order.customerId}: order ${id} the client was not told about is still ${order.status}`,
      );
  }

  // 2. Exactly one notification per terminal order; none for an order that does not exist.
  for (const [id, order] of state.orders) {
    if (!TERMINAL.has(order.status)) continue;
    const count = state.notifications.get(id) ?? 0;
    if (count !== 1) add(2, `order ${id} (${order.status}) has ${count} notifications`);
  }
  for (const [orderId, count] of state.notifications) {
    if (!state.allOrderIds.has(orderId))
      add(2, `${count} notification(s) for unknown order ${orderId}`);
  }

  // 3. CHARGED ⇔ CONFIRMED, and no charged order the client cannot find.
  for (const [id, order] of state.orders) {
    const payment = state.payments.get(id);
    if (order.status === 'CONFIRMED' && payment !== 'CHARGED')
      add(3, `order ${id} is CONFIRMED but its payment is ${payment ?? 'missing'}`);
    if (order.status !== 'CONFIRMED' && payment === 'CHARGED')
      add(3, `order ${id} is ${order.status} but its payment is CHARGED`);
  }
  for (const sent of record.sent) {
    if (sent.status >= 200 && sent.status < 300) continue;
    const orderId = byCustomer.get(sent.customerId);
    if (!orderId || state.orders.get(orderId)?.status !== 'CONFIRMED') continue;
    // The failure named the order (Location, `orderId`): the client can GET what happened.
    if (sent.orderId === orderId) continue;
    // Without a key only an answer that said "failed" is a broken promise; a connection that
    // broke (status 0) told the client nothing, and only a key lets a client ask again.
    if (!sent.idempotencyKey && sent.status === 0) continue;
    if (!sent.idempotencyKey) {
      add(
        3,
        `${sent.customerId}: told ${sent.status || sent.error}, yet order ${orderId} was confirmed and charged, and without a key the client cannot find it`,
      );
      continue;
    }
    const replay = record.replays.get(sent.customerId);
    if (!replay || replay.orderId !== orderId)
      add(
        3,
        `${sent.customerId}: told ${sent.status || sent.error}; a retry with the same key got ${replay?.status ?? 'nothing'}, not order ${orderId}`,
      );
  }

  // 4. Reservations follow orders; stock is conserved.
  for (const [orderId, status] of state.reservations) {
    const order = state.orders.get(orderId);
    if (!state.allOrderIds.has(orderId)) {
      if (status !== 'RELEASED' && !record.knownOrphans.has(orderId))
        add(4, `reservation ${orderId} is ${status} but no order has that id`);
      continue;
    }
    if (!order) continue; // another scenario's order
    if ((status === 'COMMITTED') !== (order.status === 'CONFIRMED'))
      add(4, `reservation ${orderId} is ${status} while its order is ${order.status}`);
    if (TERMINAL.has(order.status) && order.status !== 'CONFIRMED' && status !== 'RELEASED')
      add(4, `reservation ${orderId} is ${status} while its order is ${order.status}`);
  }
  for (const [id, order] of state.orders) {
    if (order.status === 'CONFIRMED' && !state.reservations.has(id))
      add(4, `order ${id} is CONFIRMED without a reservation`);
  }
  for (const [sku, initial] of record.initialStock) {
    const now = state.stock.get(sku);
    if (!now) continue;
    const expected = initial - now.reserved - now.committed;
    if (now.stock !== expected)
      add(
        4,
        `${sku}: stock ${now.stock}, but ${initial} at the start − ${now.committed} committed − ${now.reserved} reserved = ${expected}`,
      );
  }

  // 5. Processes.
  for (const [service, count] of record.unexpectedExits)
    if (count > 0) add(5, `${service} exited ${count} time(s) without being killed`);
  for (const service of record.notReady) add(5, `${service} is not ready`);

  // 6. Answers during an outage: 2xx, or 503 with Retry-After; fast either way.
  for (const sent of record.sent) {
    const during = record.outages.some((o) => sent.sentAt >= o.from && sent.sentAt <= o.to);
    if (!during) continue;
    const ok = sent.status >= 200 && sent.status < 300;
    const honest = ok || (sent.status === 503 && sent.retryAfter !== null);
    if (!honest)
      add(
        6,
        `${sent.customerId}: answered ${sent.status || sent.error} during the outage (want 2xx or 503 with Retry-After)`,
      );
    else if (sent.latencyMs > OUTAGE_ANSWER_LIMIT_MS)
      add(
        6,
        `${sent.customerId}: answered ${sent.status} after ${sent.latencyMs} ms during the outage`,
      );
  }
  if (record.readyAfterHealMs !== undefined && record.readyAfterHealMs > READY_AFTER_HEAL_LIMIT_MS)
    add(6, `the gateway was ready ${record.readyAfterHealMs} ms after the heal`);
  return violations;
}

/** Reads the state of one scenario's orders (customer ids `<scenario>-<n>`) and the globals. */
export async function readMeshState(db: Pool, scenario: string): Promise<MeshState> {
  const [orders, allOrders, notifications, payments, reservations, stock] = await Promise.all([
    db.query<{ id: string; customer_id: string; status: string }>(
      `SELECT id, customer_id, status FROM orders.orders WHERE customer_id ~ ('^' || $1 || '-[0-9]+$')`,
      [scenario],
    ),
    db.query<{ id: string }>('SELECT id FROM orders.orders'),
    db.query<{ order_id: string; count: string }>(
      'SELECT order_id, count(*) AS count FROM notifications.notifications GROUP BY order_id',
    ),
    db.query<{ order_id: string; status: string }>(
      'SELECT order_id, status FROM payments.payments',
    ),
    db.query<{ order_id: string; status: string }>(
      'SELECT order_id, status FROM inventory.reservations',
    ),
    db.query<{ sku: string; stock: number; reserved: string; committed: string }>(
      `SELECT p.sku, p.stock,
              coalesce(sum(ri.quantity) FILTER (WHERE r.status = 'RESERVED'), 0) AS reserved,
              coalesce(sum(ri.quantity) FILTER (WHERE r.status = 'COMMITTED'), 0) AS committed
         FROM inventory.products p
         LEFT JOIN inventory.reservation_items ri ON ri.sku = p.sku
         LEFT JOIN inventory.reservations r ON r.order_id = ri.order_id
        GROUP BY p.sku, p.stock`,
    ),
  ]);
  return {
    orders: new Map(
      orders.rows.map((r) => [r.id, { customerId: r.customer_id, status: r.status }]),
    ),
    allOrderIds: new Set(allOrders.rows.map((r) => r.id)),
    notifications: new Map(notifications.rows.map((r) => [r.order_id, Number(r.count)])),
    payments: new Map(payments.rows.map((r) => [r.order_id, r.status])),
    reservations: new Map(reservations.rows.map((r) => [r.order_id, r.status])),
    stock: new Map(
      stock.rows.map((r) => [
        r.sku,
        { stock: Number(r.stock), reserved: Number(r.reserved), committed: Number(r.committed) },
      ]),
    ),
  };
}

/**
 * True when the scenario's asynchronous work looks finished: every order terminal, notified
 * and with its reservation settled. The checker waits for this (bounded) before judging.
 */
export function looksSettled(state: MeshState, knownOrphans: ReadonlySet<string>): boolean {
  if (orphanReservations(state).some((id) => !knownOrphans.has(id))) return false;
  for (const [id, order] of state.orders) {
    if (!TERMINAL.has(order.status)) return false;
    if ((state.notifications.get(id) ?? 0) < 1) return false;
    if (state.reservations.get(id) === 'RESERVED') return false;
  }
  return true;
}

/** Reservations still holding stock for an order id that no order has. */
export function orphanReservations(state: MeshState): string[] {
  return [...state.reservations]
    .filter(([orderId, status]) => status !== 'RELEASED' && !state.allOrderIds.has(orderId))
    .map(([orderId]) => orderId);
}
