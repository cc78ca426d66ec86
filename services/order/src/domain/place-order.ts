import { createHash, randomUUID } from 'node:crypto';
import {
  type Currency,
  type Order,
  type OrderStatus,
  type Payment,
  type PlaceOrderRequest,
  type PricedItem,
  type Reservation,
  TERMINAL_ORDER_STATUSES,
} from '@mesh/contracts';
import { AppError } from '@mesh/service-kit';
import { inSpan } from '@mesh/telemetry';
import { type Span, trace } from '@opentelemetry/api';
import { reserveStock } from '../clients/inventory.client';
import { chargePayment } from '../clients/payment.client';
import { findOrder, findOrderByIdempotencyKey, insertOrder } from '../data/order.repository';
import type { OrderMetrics, OrderOutcome } from '../metrics';
import type { OrderDependencies } from './dependencies';
import { commitStatus } from './order-status';
import { confirmOrder, releaseReservation, undoChargeAndReservation } from './order-steps';

const tracer = trace.getTracer('@mesh/order');

export interface PlacedOrder {
  order: Order;
  /** True when an earlier request with the same Idempotency-Key made this order. */
  replayed: boolean;
}

/** One placement under way: what every step needs to know. */
interface Placement {
  readonly deps: OrderDependencies;
  /** The `place order` span, for the business events. */
  readonly span: Span;
  readonly orderId: string;
  readonly request: PlaceOrderRequest;
  readonly idempotencyKey: string | undefined;
  readonly requestHash: string;
}

/** How a placement ended. */
type Ending =
  /** The order was written; answer with it as it is now. */
  | { status: OrderStatus }
  /** Another request with the same Idempotency-Key made the order: answer with that one. */
  | { earlier: Order }
  /** The request fails, leaving the order in `status` (undefined: no order was written). */
  | { failure: unknown; status: OrderStatus | undefined };

/**
 * Places an order: reserve the stock, persist the order, charge the payment, confirm. An order
 * is CONFIRMED only after payment said CHARGED; whatever fails leaves it in a terminal state or,
 * when undoing the charge failed too, STOCK_RESERVED for the recovery job to finish.
 */
export async function placeOrder(
  deps: OrderDependencies,
  request: PlaceOrderRequest,
  idempotencyKey?: string,
): Promise<PlacedOrder> {
  const startedAt = performance.now();
  const attributes = {
    'mesh.customer.id': request.customerId,
    'mesh.order.item_count': request.items.length,
  };
  return inSpan(tracer, 'place order', { attributes }, async (span) => {
    const requestHash = hashRequest(request);
    if (idempotencyKey !== undefined) {
      const earlier = await findEarlierOrder(deps, idempotencyKey, requestHash);
      if (earlier) return replay(span, earlier);
    }
    const orderId = randomUUID();
    span.setAttribute('mesh.order.id', orderId);
    const placement: Placement = { deps, span, orderId, request, idempotencyKey, requestHash };

    const ending = await reserveChargeAndConfirm(placement).catch(
      (failure: unknown): Ending => ({ failure, status: undefined }),
    );
    if ('earlier' in ending) {
      deps.logger.info({ orderId: ending.earlier.id, replayed: true }, 'order placed');
      return replay(span, ending.earlier);
    }
    if ('failure' in ending) {
      // A refusal (4xx) made no order, so it is no outcome; a failure after the order was
      // written is one.
      if (ending.status || !isRefusal(ending.failure))
        finish(deps.metrics, span, ending.status, startedAt);
      throw ending.failure;
    }
    let order: Order;
    try {
      order = await readBack(placement);
    } catch (error) {
      finish(deps.metrics, span, ending.status, startedAt);
      throw error;
    }
    finish(deps.metrics, span, order.status, startedAt);
    deps.logger.info({ orderId, status: order.status, replayed: false }, 'order placed');
    return { order, replayed: false };
  });
}

/** reserve → persist → charge → confirm. A throw before the order was written leaves no order. */
async function reserveChargeAndConfirm(p: Placement): Promise<Ending> {
  const reserved = await reserve(p);
  if ('outOfStock' in reserved) return reject(p, reserved.outOfStock);

  if (!(await persistReserved(p, reserved.reservation))) return answerForTakenKey(p);

  // From here on the order exists: a throw leaves it as last written, STOCK_RESERVED.
  try {
    const charged = await charge(p, reserved.reservation);
    if ('failure' in charged) return charged;
    if (charged.payment.status === 'DECLINED') return await failDeclined(p, charged.payment);

    return await confirm(p);
  } catch (failure) {
    return { failure, status: 'STOCK_RESERVED' };
  }
}

// --- reserve -----------------------------------------------------------------------------------

async function reserve(
  p: Placement,
): Promise<{ reservation: Reservation } | { outOfStock: string }> {
  return inSpan(
    tracer,
    'reserve stock',
    { attributes: { 'mesh.order.id': p.orderId } },
    async () => {
      try {
        const reservation = await reserveStock(p.deps.inventory, {
          orderId: p.orderId,
          items: p.request.items,
        });
        p.span.addEvent('stock reserved', { 'mesh.order.total_cents': reservation.totalCents });
        return { reservation };
      } catch (error) {
        if (error instanceof AppError && error.code === 'out-of-stock') {
          return { outOfStock: error.detail ?? 'not enough stock' };
        }
        if (error instanceof AppError && error.code === 'unknown-sku') throw error;
        // The reservation may have been made after all (e.g. a timeout); give it back.
        await releaseReservation(p.deps, p.orderId);
        throw asDependencyFailure(error, 'inventory');
      }
    },
  );
}

/** Out of stock: the order is kept, REJECTED, with nothing priced. */
async function reject(p: Placement, why: string): Promise<Ending> {
  const items = p.request.items.map((item) => ({ ...item, unitPriceCents: 0 }));
  const saved = await persist(
    p,
    { items, totalCents: 0, currency: 'EUR' },
    'REJECTED',
    `out-of-stock: ${why}`,
  );
  return saved ? { status: 'REJECTED' } : answerForTakenKey(p);
}

// --- persist -----------------------------------------------------------------------------------

async function persistReserved(p: Placement, reservation: Reservation): Promise<boolean> {
  try {
    const saved = await persist(p, reservation, 'STOCK_RESERVED');
    if (!saved) await releaseReservation(p.deps, p.orderId);
    return saved;
  } catch (error) {
    await releaseReservation(p.deps, p.orderId);
    throw error;
  }
}

/** The order, its items and its history up to `status`, in one transaction. */
function persist(
  p: Placement,
  priced: { items: PricedItem[]; totalCents: number; currency: Currency },
  status: OrderStatus,
  reason?: string,
): Promise<boolean> {
  const attributes = { 'mesh.order.id': p.orderId, 'mesh.order.status': status };
  return inSpan(tracer, 'persist order', { attributes }, () =>
    commitStatus(p.deps, { orderId: p.orderId, status, reason }, (tx) =>
      insertOrder(tx, {
        id: p.orderId,
        customerId: p.request.customerId,
        items: priced.items,
        totalCents: priced.totalCents,
        currency: priced.currency,
        idempotencyKey: p.idempotencyKey,
        requestHash: p.idempotencyKey === undefined ? undefined : p.requestHash,
      }),
    ),
  );
}

// --- charge ------------------------------------------------------------------------------------

/**
 * CHARGED or DECLINED. Any other end undoes the charge and the reservation, and fails the
 * placement, leaving the order PAYMENT_FAILED when the undoing worked.
 */
async function charge(
  p: Placement,
  reservation: Reservation,
): Promise<{ payment: Payment } | { failure: unknown; status: OrderStatus }> {
  const attributes = {
    'mesh.order.id': p.orderId,
    'mesh.payment.amount_cents': reservation.totalCents,
  };
  try {
    return await inSpan(tracer, 'charge payment', { attributes }, async (span) => {
      const payment = await chargePayment(p.deps.payment, {
        orderId: p.orderId,
        customerId: p.request.customerId,
        amountCents: reservation.totalCents,
        currency: reservation.currency,
      });
      span.setAttribute('mesh.payment.status', payment.status);
      if (payment.status !== 'CHARGED' && payment.status !== 'DECLINED') {
        throw new AppError('dependency-failed', {
          detail: `payment answered the charge with status ${payment.status}`,
        });
      }
      return { payment };
    });
  } catch (error) {
    const status = await undoCharge(p);
    return { failure: asDependencyFailure(error, 'payment'), status };
  }
}

/**
 * The charge's result is unknown: void it and release the stock. Only when both are done is the
 * order PAYMENT_FAILED; otherwise it stays STOCK_RESERVED for the recovery job. Returns which.
 */
async function undoCharge(p: Placement): Promise<OrderStatus> {
  const failures = await undoChargeAndReservation(p.deps, p.orderId);
  if (failures.length > 0) {
    p.deps.logger.warn({ orderId: p.orderId }, 'charge not undone; left to the recovery job');
    return 'STOCK_RESERVED';
  }
  try {
    const failed = await commitStatus(p.deps, {
      orderId: p.orderId,
      status: 'PAYMENT_FAILED',
      reason: 'payment-unavailable',
    });
    return failed ? 'PAYMENT_FAILED' : 'STOCK_RESERVED';
  } catch (error) {
    // The caller gets the charge failure; the recovery job will finish this order.
    p.deps.logger.error({ err: error, orderId: p.orderId }, 'could not mark the order failed');
    return 'STOCK_RESERVED';
  }
}

async function failDeclined(p: Placement, payment: Payment): Promise<Ending> {
  const declineReason = payment.declineReason ?? 'unspecified';
  p.span.addEvent('payment declined', { 'mesh.payment.decline_reason': declineReason });
  await releaseReservation(p.deps, p.orderId);
  const failed = await commitStatus(p.deps, {
    orderId: p.orderId,
    status: 'PAYMENT_FAILED',
    reason: `declined: ${declineReason}`,
  });
  return { status: failed ? 'PAYMENT_FAILED' : 'STOCK_RESERVED' };
}

// --- confirm -----------------------------------------------------------------------------------

async function confirm(p: Placement): Promise<Ending> {
  const confirmed = await confirmOrder(p.deps, p.orderId);
  // Not confirmed: the recovery job finished the order meanwhile; answer what it decided.
  if (!confirmed) return { status: 'STOCK_RESERVED' };
  p.span.addEvent('order confirmed');
  return { status: 'CONFIRMED' };
}

// --- helpers -----------------------------------------------------------------------------------

/** The order as stored now, to answer with. */
async function readBack(p: Placement): Promise<Order> {
  const order = await findOrder(p.deps.pool, p.orderId);
  if (!order) throw new Error(`order ${p.orderId} vanished after being written`);
  return order;
}

/** Another request with the same key persisted its order first: answer as if this were a retry. */
async function answerForTakenKey(p: Placement): Promise<Ending> {
  const key = p.idempotencyKey as string;
  const earlier = await findEarlierOrder(p.deps, key, p.requestHash);
  if (!earlier) throw new AppError('idempotency-key-in-use', { headers: { 'retry-after': '1' } });
  return { earlier };
}

/**
 * The order an earlier request with this Idempotency-Key made, if it is finished and the request
 * was the same. A different request, or one still being placed, is refused.
 */
async function findEarlierOrder(
  deps: OrderDependencies,
  idempotencyKey: string,
  requestHash: string,
): Promise<Order | undefined> {
  const earlier = await findOrderByIdempotencyKey(deps.pool, idempotencyKey);
  if (!earlier) return undefined;
  if (earlier.requestHash !== requestHash) {
    throw new AppError('idempotency-key-reused', {
      detail: 'This Idempotency-Key was already used for a different order request.',
    });
  }
  if (!TERMINAL_ORDER_STATUSES.includes(earlier.order.status)) {
    throw new AppError('idempotency-key-in-use', {
      detail: 'An order with this Idempotency-Key is still being placed; retry shortly.',
      headers: { 'retry-after': '1' },
    });
  }
  return earlier.order;
}

function replay(span: Span, order: Order): PlacedOrder {
  span.setAttributes({
    'mesh.order.id': order.id,
    'mesh.order.status': order.status,
    'mesh.order.idempotent_replay': true,
  });
  return { order, replayed: true };
}

/**
 * Identifies a request for idempotency: the body in canonical form (items sorted by SKU), so a
 * retry that lists the same lines in another order is the same request.
 */
function hashRequest(request: PlaceOrderRequest): string {
  const items = request.items
    .map(({ sku, quantity }) => ({ sku, quantity }))
    .sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : a.quantity - b.quantity));
  const canonical = JSON.stringify({ customerId: request.customerId, items });
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * Failures of a dependency reach the client as 502/503/504. An unexpected 4xx from it (its
 * answer to our request, not the client's) would mislead the client, so it becomes a 502 too.
 */
function asDependencyFailure(error: unknown, dependency: string): unknown {
  if (!(error instanceof AppError) || error.isServerError) return error;
  return new AppError('dependency-failed', {
    detail: `${dependency} refused the request (${error.code})`,
    cause: error,
  });
}

/** A 4xx: the request was refused and no order was made. */
function isRefusal(error: unknown): boolean {
  return error instanceof AppError && !error.isServerError;
}

function outcomeOf(status: OrderStatus | undefined): OrderOutcome {
  if (status === 'CONFIRMED') return 'confirmed';
  if (status === 'REJECTED') return 'rejected';
  if (status === 'PAYMENT_FAILED') return 'payment_failed';
  return 'error';
}

/** Records how the placement ended: the order's status, or `error` if it has no final one. */
function finish(
  metrics: OrderMetrics,
  span: Span,
  status: OrderStatus | undefined,
  startedAt: number,
): void {
  if (status) span.setAttribute('mesh.order.status', status);
  metrics.recordPlacement(outcomeOf(status), (performance.now() - startedAt) / 1000);
}
