import type { Payment } from '@mesh/contracts';
import { AppError } from '@mesh/service-kit';
import { findPayment } from '../data/payment.repository';
import type { PaymentDeps } from './deps';

export async function getPayment(
  deps: Pick<PaymentDeps, 'pool'>,
  orderId: string,
): Promise<Payment> {
  const payment = await findPayment(deps.pool, orderId);
  if (!payment) {
    throw new AppError('payment-not-found', { detail: `No payment for order ${orderId}.` });
  }
  return payment;
}
