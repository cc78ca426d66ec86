import type { ChargeRequest, Payment } from '@mesh/contracts';
import { AppError } from '@mesh/service-kit';
import { inSpan } from '@mesh/telemetry';
import { type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { findPayment, insertPendingPayment, settlePayment } from '../data/payment.repository';
import type { ProcessorResult } from '../processor/payment-processor';
import { type PaymentDeps, tracer } from './deps';
import { refundCharge } from './refund';

export interface ChargeOutcome {
  payment: Payment;
  /** True when this request charged (approved or declined); false for an earlier payment. */
  charged: boolean;
}

/**
 * Charges an order exactly once. A Redis lock per order keeps concurrent requests away from the
 * processor; the unique order id in PostgreSQL is the final guard, and the only one while Redis
 * is down. A repeated request gets the payment already made.
 */
export function chargePayment(deps: PaymentDeps, request: ChargeRequest): Promise<ChargeOutcome> {
  // The order id is the handle; customer ids are personal data and stay out of telemetry.
  const attributes = { 'mesh.order.id': request.orderId };
  return inSpan(tracer, 'charge payment', { attributes }, async (span) => {
    const outcome = await chargeUnderLock(deps, request, span);
    span.setAttributes({
      'mesh.payment.id': outcome.payment.id,
      'mesh.payment.status': outcome.payment.status,
    });
    return outcome;
  });
}

async function chargeUnderLock(
  deps: PaymentDeps,
  request: ChargeRequest,
  span: Span,
): Promise<ChargeOutcome> {
  const lock = await deps.lock.acquire(request.orderId);
  if (lock.outcome === 'held-elsewhere') return answerWhileLockedElsewhere(deps, request);
  if (lock.outcome === 'unavailable') {
    deps.logger.warn(
      { err: lock.error, orderId: request.orderId },
      'payment lock unavailable (Redis); relying on the database guard alone',
    );
    span.addEvent('lock-unavailable');
  }
  try {
    return await chargeOnce(deps, request, span);
  } finally {
    if (lock.outcome === 'acquired') {
      await lock
        .release()
        .catch((error: unknown) =>
          deps.logger.warn(
            { err: error, orderId: request.orderId },
            'payment lock not released; it expires on its own',
          ),
        );
    }
  }
}

async function chargeOnce(
  deps: PaymentDeps,
  request: ChargeRequest,
  span: Span,
): Promise<ChargeOutcome> {
  const existing = await findPayment(deps.pool, request.orderId);
  if (existing) return answerWithExisting(existing, request);

  const pending = await insertPendingPayment(deps.pool, request);
  // Another request inserted first (one that found Redis down, or a void): the unique key decided.
  if (!pending) return answerWithExisting(await paymentOf(deps, request.orderId), request);

  const result = await callProcessor(deps, request);
  const settled = await settlePayment(
    deps.pool,
    pending.id,
    result.approved ? { status: 'CHARGED' } : { status: 'DECLINED', reason: result.reason },
  );
  if (settled) {
    deps.metrics.countPayment(settled.status);
    deps.logger.info(
      { orderId: request.orderId, status: settled.status, amountCents: request.amountCents },
      settled.status === 'CHARGED' ? 'payment charged' : 'payment declined',
    );
    return { payment: settled, charged: true };
  }

  // Voided while the processor was at work (the order stopped waiting): reverse the charge.
  const voided = await paymentOf(deps, request.orderId);
  if (result.approved) refundCharge(span, voided, deps.logger);
  return { payment: voided, charged: false };
}

/** Another request holds the lock; if it has finished meanwhile, its payment is the answer. */
async function answerWhileLockedElsewhere(
  deps: PaymentDeps,
  request: ChargeRequest,
): Promise<ChargeOutcome> {
  const existing = await findPayment(deps.pool, request.orderId);
  if (existing) return answerWithExisting(existing, request);
  throw inProgress(request.orderId);
}

function answerWithExisting(existing: Payment, request: ChargeRequest): ChargeOutcome {
  // A voided order stays voided, whatever the late charge says (the tombstone has no amount).
  if (existing.status === 'VOIDED') return { payment: existing, charged: false };
  if (
    existing.customerId !== request.customerId ||
    existing.amountCents !== request.amountCents ||
    existing.currency !== request.currency
  ) {
    throw new AppError('order-id-reused', {
      detail: `Order ${request.orderId} was charged before with another customer, amount or currency.`,
    });
  }
  if (existing.status === 'PENDING') throw inProgress(request.orderId);
  return { payment: existing, charged: false };
}

function inProgress(orderId: string): AppError {
  return new AppError('payment-in-progress', {
    detail: `A charge for order ${orderId} is in progress; ask again shortly.`,
  });
}

/** The processor call as a CLIENT span; a decline fails that call, not the use case. */
function callProcessor(deps: PaymentDeps, request: ChargeRequest): Promise<ProcessorResult> {
  const attributes = {
    'mesh.order.id': request.orderId,
    'mesh.payment.amount_cents': request.amountCents,
  };
  return inSpan(
    tracer,
    'payment-processor charge',
    { kind: SpanKind.CLIENT, attributes },
    async (span) => {
      const started = performance.now();
      const result = await deps.processor.charge(request);
      const status = result.approved ? 'CHARGED' : 'DECLINED';
      deps.metrics.recordProcessorLatency((performance.now() - started) / 1000, status);
      span.setAttribute('mesh.payment.status', status);
      if (!result.approved) {
        // The error idiom without an exception event: a decline is an answer, not a crash.
        // https://opentelemetry.io/docs/specs/semconv/general/recording-errors/
        span.addEvent('declined', { 'mesh.payment.decline_reason': result.reason });
        span.setStatus({ code: SpanStatusCode.ERROR, message: result.reason });
        span.setAttribute('error.type', 'payment-declined');
      }
      return result;
    },
  );
}

/** Rows are never deleted, so an order whose insert conflicted has one. */
async function paymentOf(deps: PaymentDeps, orderId: string): Promise<Payment> {
  const payment = await findPayment(deps.pool, orderId);
  if (!payment) throw new Error(`payment for order ${orderId} vanished`);
  return payment;
}
