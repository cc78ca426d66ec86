import { AppError, type PoolClient, withTransaction } from '@mesh/service-kit';
import { inSpan } from '@mesh/telemetry';
import { trace } from '@opentelemetry/api';
import { findPayment } from '../clients/payment.client';
import { lockStaleOrders } from '../data/order.repository';
import type { OrderDependencies } from './dependencies';
import { changeStatus, IN_PROGRESS_STATUSES } from './order-status';
import { confirmOrder, undoChargeAndReservation } from './order-steps';

const tracer = trace.getTracer('@mesh/order');

export interface RecoverySettings {
  /** Only orders unchanged for at least this long: younger ones may still have a request at work. */
  afterMs: number;
  /** Orders locked per transaction. */
  batchSize?: number;
}

export interface RecoveryReport {
  confirmed: number;
  abandoned: number;
  /** Still in progress: payment or inventory could not do its part; tried again next pass. */
  left: number;
}

type Recovery = 'confirmed' | 'abandoned' | 'left' | 'dependency-down';

/**
 * One pass of the recovery job: finishes orders a request left in progress (a crash, or a charge
 * whose result was unknown and could not be undone). Payment decides: CHARGED → CONFIRMED;
 * anything else → the payment voided and the stock released, PAYMENT_FAILED `abandoned`.
 */
export async function recoverStaleOrders(
  deps: OrderDependencies,
  settings: RecoverySettings,
): Promise<RecoveryReport> {
  const batchSize = settings.batchSize ?? 10;
  const report: RecoveryReport = { confirmed: 0, abandoned: 0, left: 0 };
  const attempted: string[] = [];
  for (;;) {
    // The row locks are held while payment and inventory are asked, so that neither another
    // replica nor a late request changes the order in between.
    const batch = await withTransaction(deps.pool, async (tx) => {
      const stale = await lockStaleOrders(tx, {
        statuses: IN_PROGRESS_STATUSES,
        olderThanMs: settings.afterMs,
        limit: batchSize,
        excludeIds: attempted,
      });
      let finished = 0;
      for (const order of stale) {
        attempted.push(order.id);
        const recovery = await recoverOrder(deps, tx, order.id);
        report[recovery === 'dependency-down' ? 'left' : recovery] += 1;
        if (recovery === 'confirmed' || recovery === 'abandoned') finished += 1;
        // Every other order would wait for the same time limits: leave them to the next pass.
        if (recovery === 'dependency-down') return { size: stale.length, finished, stop: true };
      }
      return { size: stale.length, finished, stop: false };
    });
    // The batch's terminal orders wrote their events, committed now: let the relay publish them.
    if (batch.finished > 0) deps.outbox.wake();
    if (batch.stop || batch.size < batchSize) break;
  }
  if (report.confirmed + report.abandoned + report.left > 0) {
    deps.logger.info({ ...report }, 'recovery pass finished orders left in progress');
  }
  return report;
}

async function recoverOrder(
  deps: OrderDependencies,
  tx: PoolClient,
  orderId: string,
): Promise<Recovery> {
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
        // The row is locked and still in progress, so this write happens.
        await confirmOrder(deps, orderId, tx);
        span.addEvent('order confirmed');
        span.setAttribute('mesh.order.status', 'CONFIRMED');
        return 'confirmed';
      }

      const failures = await undoChargeAndReservation(deps, orderId);
      if (failures.length > 0) return failures.some(isDependencyDown) ? 'dependency-down' : 'left';
      await changeStatus(tx, { orderId, status: 'PAYMENT_FAILED', reason: 'abandoned' });
      span.setAttribute('mesh.order.status', 'PAYMENT_FAILED');
      return 'abandoned';
    },
  );
}

function isDependencyDown(error: unknown): boolean {
  return !(error instanceof AppError) || error.isServerError;
}
