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
import { context, ROOT_CONTEXT, type Span, trace } from '@opentelemetry/api';
import { reserveStock } from '../clients/inventory.client';
import { chargePayment } from '../clients/payment.client';
import {
  findOrder,
  findOrderAndHash,
  findOrderByIdempotencyKey,
  insertOrder,
} from '../data/order.repository';
import type { OrderMetrics, OrderOutcome } from '../metrics';
import { Deadline } from './deadline';
import type { OrderDependencies } from './dependencies';
import { commitStatus } from './order-status';
import { confirmOrder, releaseReservation, undoChargeAndReservation } from './order-steps';

const tracer = trace.getTracer('@mesh/order');

export interface PlacedOrder {
  /** As stored now: terminal, or still in progress when its outcome is not decided yet. */
  order: Order;
  /** True when an earlier request with the same Idempotency-Key or order id made this order. */
  replayed: boolean;
}

export interface PlacementOptions {
  /** The client's Idempotency-Key: the same key and request make one order. */
  idempotencyKey?: string;
  /** The id the order gets (the gateway mints it); the same id twice is the same order. */
  orderId?: string;
  /** When the caller stops waiting; every call to inventory and payment ends before it. */
  deadline?: Deadline;
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
  readonly deadline: Deadline;
}

/** How a placement ended. */
type Ending =
  /** The order was written; answer with it as it is now. */
  | { status: OrderStatus }
  /** Another request with the same Idempotency-Key or order id made it: answer with that one. */
  | { earlier: Order }
  /** The request fails, leaving the order in `status` (undefined: no order was written). */
  | { failure: unknown; status: OrderStatus | undefined };

/**
 * Places an order: reserve the stock, persist the order, charge the payment, commit the stock,
 * confirm. An order is CONFIRMED only after payment said CHARGED and inventory committed its
 * stock. Whatever fails leaves it in a terminal state or, when its outcome cannot be decided in
 * time (a charge whose result is unknown and could not be undone, a commit inventory did not
 * answer), in progress for the recovery job: the order is answered as it is, for a 202.
 */
export async function placeOrder(
  deps: OrderDependencies,
  request: PlaceOrderRequest,
  options: PlacementOptions = {},
): Promise<PlacedOrder> {
  const startedAt = performance.now();
  const { idempotencyKey, deadline = Deadline.NONE } = options;
  // No customer id here: it is personal data, and the order id is the handle to the trace.
  const attributes = { 'mesh.order.item_count': request.items.length };
  return inSpan(tracer, 'place order', { attributes }, async (span) => {
    const requestHash = hashRequest(request);
    if (idempotencyKey !== undefined) {
      const earlier = await findEarlierOrder(deps, idempotencyKey, requestHash);
      if (earlier) return replay(span, earlier);
    }
    if (options.orderId !== undefined) {
      const earlier = await findOrderWithId(deps, options.orderId, requestHash);
      if (earlier) return replay(span, earlier);
    }
    const orderId = options.orderId ?? randomUUID();
    span.setAttribute('mesh.order.id', orderId);
    const placement: Placement = {
      deps,
      span,
      orderId,
      request,
      idempotencyKey,
      requestHash,
      deadline,
    };

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

  const taken = await persistReserved(p, reserved.reservation);
  if (taken) return taken;

  // From here on the order exists: a throw leaves it as last written, STOCK_RESERVED.
  try {
    const charged = await charge(p, reserved.reservation);
    if (!('payment' in charged)) return charged;
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
        const reservation = await reserveStock(
          p.deps.inventory,
          { orderId: p.orderId, items: p.request.items },
          { timeoutMs: p.deadline.limitFor(p.deps.inventory) },
        );
        p.span.addEvent('stock reserved', { 'mesh.order.total_cents': reservation.totalCents });
        return { reservation };
      } catch (error) {
        if (error instanceof AppError && error.code === 'out-of-stock') {
          return { outOfStock: error.detail ?? 'not enough stock' };
        }
        if (error instanceof AppError && error.code === 'unknown-sku') throw error;
        // The reservation may have been made after all (e.g. a timeout); give it back.
        await releaseReservation(p.deps, p.orderId, p.deadline);
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
  return saved ? { status: 'REJECTED' } : answerForConflict(p);
}

// --- persist -----------------------------------------------------------------------------------

/** Undefined once persisted; the answer to give when another request holds the id or key. */
async function persistReserved(
  p: Placement,
  reservation: Reservation,
): Promise<Ending | undefined> {
  let saved: boolean;
  try {
    saved = await persist(p, reservation, 'STOCK_RESERVED');
  } catch (error) {
    await releaseReservation(p.deps, p.orderId, p.deadline);
    throw error;
  }
  if (saved) return undefined;
  // A request with the same order id shares this reservation (it is keyed by order id): keep it.
  const sameOrder = await findOrderWithId(p.deps, p.orderId, p.requestHash);
  if (sameOrder) return { earlier: sameOrder };
  await releaseReservation(p.deps, p.orderId, p.deadline);
  return answerForTakenKey(p);
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
        requestHash: p.requestHash,
      }),
    ),
  );
}

// --- charge ------------------------------------------------------------------------------------

/**
 * CHARGED or DECLINED. Any other end undoes the charge and the reservation: when that worked,
 * the placement fails with the order PAYMENT_FAILED; otherwise the outcome is not decided and
 * the order, still STOCK_RESERVED, is answered as it is, for the recovery job to finish.
 */
async function charge(
  p: Placement,
  reservation: Reservation,
): Promise<{ payment: Payment } | Ending> {
  const attributes = {
    'mesh.order.id': p.orderId,
    'mesh.payment.amount_cents': reservation.totalCents,
  };
  try {
    return await inSpan(tracer, 'charge payment', { attributes }, async (span) => {
      const callPayment = () =>
        chargePayment(
          p.deps.payment,
          {
            orderId: p.orderId,
            customerId: p.request.customerId,
            amountCents: reservation.totalCents,
            currency: reservation.currency,
          },
          { timeoutMs: p.deadline.limitFor(p.deps.payment) },
        );
      // Workshop fault order-payment-propagation-broken: the call runs in the root context, as
      // it does when a callback or queue loses the request's context, so the HTTP client span
      // and payment's spans start a trace of their own. The request itself is unchanged.
      const payment = (await p.deps.faults.on('order-payment-propagation-broken'))
        ? await context.with(ROOT_CONTEXT, callPayment)
        : await callPayment();
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
    if (status === 'PAYMENT_FAILED') {
      return { failure: asDependencyFailure(error, 'payment'), status };
    }
    p.deps.logger.warn(
      { err: error, orderId: p.orderId },
      'charge failed and not undone; answered in progress, left to the recovery job',
    );
    return { status };
  }
}

/**
 * The charge's result is unknown: void it and release the stock. Only when both are done is the
 * order PAYMENT_FAILED; otherwise it stays STOCK_RESERVED for the recovery job. Returns which.
 */
async function undoCharge(p: Placement): Promise<OrderStatus> {
  const failures = await undoChargeAndReservation(p.deps, p.orderId, p.deadline);
  if (failures.length > 0) return 'STOCK_RESERVED';
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
  await releaseReservation(p.deps, p.orderId, p.deadline);
  const failed = await commitStatus(p.deps, {
    orderId: p.orderId,
    status: 'PAYMENT_FAILED',
    reason: `declined: ${declineReason}`,
  });
  return { status: failed ? 'PAYMENT_FAILED' : 'STOCK_RESERVED' };
}

// --- confirm -----------------------------------------------------------------------------------

async function confirm(p: Placement): Promise<Ending> {
  const confirmation = await confirmOrder(p.deps, p.orderId, p.deadline);
  if (confirmation === 'confirmed') {
    p.span.addEvent('order confirmed');
    return { status: 'CONFIRMED' };
  }
  if (confirmation === 'stock-released') return { status: 'PAYMENT_FAILED' };
  // Left for the recovery job, or finished by it meanwhile: answer the order as it is.
  return { status: 'STOCK_RESERVED' };
}

// --- helpers -----------------------------------------------------------------------------------

/** The order as stored now, to answer with. */
async function readBack(p: Placement): Promise<Order> {
  const order = await findOrder(p.deps.pool, p.orderId);
  if (!order) throw new Error(`order ${p.orderId} vanished after being written`);
  return order;
}

/** Another request persisted this order id or this key first: answer as if this were a retry. */
async function answerForConflict(p: Placement): Promise<Ending> {
  const sameOrder = await findOrderWithId(p.deps, p.orderId, p.requestHash);
  return sameOrder ? { earlier: sameOrder } : answerForTakenKey(p);
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

/**
 * The order that already has this id, in whatever state, if it was made by the same request.
 * Another request under a used id is refused.
 */
async function findOrderWithId(
  deps: OrderDependencies,
  orderId: string,
  requestHash: string,
): Promise<Order | undefined> {
  const earlier = await findOrderAndHash(deps.pool, orderId);
  if (!earlier) return undefined;
  if (earlier.requestHash !== requestHash) {
    throw new AppError('order-id-reused', {
      detail: `Order ${orderId} already exists with a different request.`,
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
