import { AppError } from '@mesh/service-kit';
import { inSpan } from '@mesh/telemetry';
import { trace } from '@opentelemetry/api';
import { findPayment } from '../clients/payment.client';
import { claimStaleOrders, releaseClaims } from '../data/order.repository';
import type { OrderDependencies } from './dependencies';
import { commitStatus, IN_PROGRESS_STATUSES } from './order-status';
import { confirmOrder, undoChargeAndReservation } from './order-steps';

const tracer = trace.getTracer('@mesh/order');

/**
 * How long a pass holds the orders it claimed. It must exceed the work on one batch: per order,
 * a payment lookup, then a void and a release or a commit, each up to its client's time limit.
 */
export const DEFAULT_RECOVERY_LEASE_MS = 300_000;

export interface RecoverySettings {
  /** Only orders unchanged for at least this long: younger ones may still have a request at work. */
  afterMs: number;
  /** Orders claimed at a time. */
  batchSize?: number;
  /** How long a claim keeps other replicas of the job away from an order. */
  leaseMs?: number;
  /** Ends the pass after the order under way (the job stops, or the pass is over its time). */
  signal?: AbortSignal;
}

export interface RecoveryReport {
  confirmed: number;
  abandoned: number;
  /** Still in progress: payment or inventory could not do its part; tried again next pass. */
  left: number;
}

/** `finished-elsewhere`: the order became terminal meanwhile and was left as it is. */
type Recovery = 'confirmed' | 'abandoned' | 'left' | 'dependency-down' | 'finished-elsewhere';

/**
 * One pass of the recovery job: finishes orders a request left in progress (a crash, or a charge
 * whose result was unknown and could not be undone). Payment decides: CHARGED → the stock
 * committed, then CONFIRMED (or, when the reservation was released meanwhile, the charge voided
 * and PAYMENT_FAILED `stock-released`, counted as abandoned); anything else → the payment voided
 * and the stock released, PAYMENT_FAILED `abandoned`.
 *
 * No transaction stays open while payment and inventory are asked: a batch of orders is claimed
 * for a lease in one short statement, the calls are made, and each outcome is written in a short
 * transaction of its own that changes the order only if it is still in progress. The lease keeps
 * other replicas of the job away; ORDER_RECOVERY_AFTER_MS keeps the job away from orders a
 * request may still be working on.
 */
export async function recoverStaleOrders(
  deps: OrderDependencies,
  settings: RecoverySettings,
): Promise<RecoveryReport> {
  const batchSize = settings.batchSize ?? 10;
  const report: RecoveryReport = { confirmed: 0, abandoned: 0, left: 0 };
  const attempted: string[] = [];
  let stop = false;
  while (!stop && !settings.signal?.aborted) {
    const claimed = await claimStaleOrders(deps.pool, {
      statuses: IN_PROGRESS_STATUSES,
      olderThanMs: settings.afterMs,
      leaseMs: settings.leaseMs ?? DEFAULT_RECOVERY_LEASE_MS,
      limit: batchSize,
      excludeIds: attempted,
    });
    try {
      for (const order of claimed) {
        // The claims of the orders not taken are released below, for the next pass.
        if (settings.signal?.aborted) break;
        attempted.push(order.id);
        const recovery = await recoverOrder(deps, order.id);
        if (recovery !== 'finished-elsewhere') {
          report[recovery === 'dependency-down' ? 'left' : recovery] += 1;
        }
        // Every other order would wait for the same time limits: leave them to the next pass.
        if (recovery === 'dependency-down') {
          stop = true;
          break;
        }
      }
    } finally {
      // Finished or not, the batch is done with: the next pass may take what is left at once.
      await releaseClaims(
        deps.pool,
        claimed.map((order) => order.id),
      ).catch((error: unknown) =>
        deps.logger.warn({ err: error }, 'could not release recovery claims; they run out'),
      );
    }
    if (claimed.length < batchSize) stop = true;
  }
  if (report.confirmed + report.abandoned + report.left > 0) {
    deps.logger.info({ ...report }, 'recovery pass finished orders left in progress');
  }
  return report;
}

async function recoverOrder(deps: OrderDependencies, orderId: string): Promise<Recovery> {
  return inSpan(
    tracer,
    'recover order',
    { attributes: { 'mesh.order.id': orderId } },
    async (span) => {
      let payment: Awaited<ReturnType<typeof findPayment>>;
      try {
        payment = await findPayment(deps.payment, orderId);
      } catch (error) {
        deps.logger.warn({ err: error, orderId }, 'recovery could not ask payment; will retry');
        return isDependencyDown(error) ? 'dependency-down' : 'left';
      }

      if (payment?.status === 'CHARGED') {
        const confirmation = await confirmOrder(deps, orderId);
        if (confirmation === 'left') return 'dependency-down';
        if (confirmation === 'finished-elsewhere') return 'finished-elsewhere';
        if (confirmation === 'stock-released') {
          span.setAttribute('mesh.order.status', 'PAYMENT_FAILED');
          return 'abandoned';
        }
        span.addEvent('order confirmed');
        span.setAttribute('mesh.order.status', 'CONFIRMED');
        return 'confirmed';
      }

      const failures = await undoChargeAndReservation(deps, orderId);
      if (failures.length > 0) return failures.some(isDependencyDown) ? 'dependency-down' : 'left';
      const abandoned = await commitStatus(deps, {
        orderId,
        status: 'PAYMENT_FAILED',
        reason: 'abandoned',
      });
      if (!abandoned) return 'finished-elsewhere';
      span.setAttribute('mesh.order.status', 'PAYMENT_FAILED');
      return 'abandoned';
    },
  );
}

function isDependencyDown(error: unknown): boolean {
  return !(error instanceof AppError) || error.isServerError;
}
