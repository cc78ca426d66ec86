import type { ChargeRequest, Payment } from '@mesh/contracts';
import { AppError, type CallOptions, type ServiceClient } from '@mesh/service-kit';

// Calls to the payment service (contracts: packages/contracts/src/payment.ts). Payments are
// keyed by order id: charging is idempotent per order. `timeoutMs` cuts a call short of the
// client's own limit (a deadline).

export async function chargePayment(
  payment: ServiceClient,
  request: ChargeRequest,
  { timeoutMs }: Pick<CallOptions, 'timeoutMs'> = {},
): Promise<Payment> {
  const { body } = await payment.call<Payment>('POST', '/payments', { body: request, timeoutMs });
  return body;
}

/** The order's payment, or undefined when payment never saw one. */
export async function findPayment(
  payment: ServiceClient,
  orderId: string,
): Promise<Payment | undefined> {
  try {
    const { body } = await payment.call<Payment>('GET', `/payments/${encodeURIComponent(orderId)}`);
    return body;
  } catch (error) {
    if (error instanceof AppError && error.code === 'payment-not-found') return undefined;
    throw error;
  }
}

/**
 * Gives up on the order's payment: any charge is reversed and a later charge is refused. A
 * payment that does not exist was never charged.
 */
export async function voidPayment(
  payment: ServiceClient,
  orderId: string,
  { timeoutMs }: Pick<CallOptions, 'timeoutMs'> = {},
): Promise<void> {
  try {
    await payment.call('POST', `/payments/${encodeURIComponent(orderId)}/void`, { timeoutMs });
  } catch (error) {
    if (error instanceof AppError && error.code === 'payment-not-found') return;
    throw error;
  }
}
