import type { Payment, PaymentStatus } from '@mesh/contracts';
import { type PoolClient, withTransaction } from '@mesh/service-kit';
import { inSpan } from '@mesh/telemetry';
import {
  findPaymentForUpdate,
  insertVoidedTombstone,
  markVoided,
} from '../data/payment.repository';
import { type PaymentDeps, tracer } from './deps';
import { refundCharge } from './refund';

/**
 * Gives up on an order's payment (the order service calls it when its charge call failed or timed
 * out). Idempotent. CHARGED is refunded; PENDING is voided and the charge in flight refunds
 * itself when it sees that; DECLINED and VOIDED stay as they are. With no payment yet, a VOIDED
 * tombstone makes sure a charge arriving late is refused.
 */
export function voidPayment(deps: PaymentDeps, orderId: string): Promise<Payment> {
  return inSpan(
    tracer,
    'void payment',
    { attributes: { 'mesh.order.id': orderId } },
    async (span) => {
      const { payment, changed, before } = await withTransaction(deps.pool, (client) =>
        voidInTransaction(client, orderId),
      );
      span.setAttributes({ 'mesh.payment.id': payment.id, 'mesh.payment.status': payment.status });
      if (changed) {
        span.addEvent('voided', { 'mesh.payment.previous_status': before ?? 'NONE' });
        deps.metrics.countPayment('VOIDED');
      }
      if (before === 'CHARGED') refundCharge(span, payment, deps.logger);
      return payment;
    },
  );
}

async function voidInTransaction(
  client: PoolClient,
  orderId: string,
): Promise<{ payment: Payment; changed: boolean; before?: PaymentStatus }> {
  let current = await findPaymentForUpdate(client, orderId);
  if (!current) {
    const tombstone = await insertVoidedTombstone(client, orderId);
    if (tombstone) return { payment: tombstone, changed: true };
    // A charge inserted its row meanwhile (the insert waited for it to commit): void that one.
    current = await findPaymentForUpdate(client, orderId);
    if (!current) throw new Error(`payment for order ${orderId} vanished`);
  }
  if (current.status !== 'CHARGED' && current.status !== 'PENDING') {
    return { payment: current, changed: false };
  }
  return { payment: await markVoided(client, current.id), changed: true, before: current.status };
}
