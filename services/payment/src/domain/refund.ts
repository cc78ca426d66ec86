import type { Payment } from '@mesh/contracts';
import type { Logger } from '@mesh/telemetry';
import type { Span } from '@opentelemetry/api';

/**
 * Reverses a charge. The simulated processor needs no call for it, so the refund is a notable
 * moment on the business span and a log line, where a real integration would call the processor.
 */
export function refundCharge(span: Span, payment: Payment, logger: Logger): void {
  span.addEvent('refund', {
    'mesh.payment.id': payment.id,
    'mesh.payment.amount_cents': payment.amountCents,
  });
  logger.info(
    { orderId: payment.orderId, paymentId: payment.id, amountCents: payment.amountCents },
    'charge refunded',
  );
}
