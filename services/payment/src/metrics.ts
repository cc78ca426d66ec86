import type { PaymentStatus } from '@mesh/contracts';
import { metrics } from '@opentelemetry/api';

export interface PaymentMetrics {
  /** How long the processor took to answer, by its answer (CHARGED or DECLINED). */
  recordProcessorLatency(seconds: number, status: PaymentStatus): void;
  /** A payment reached `status`. */
  countPayment(status: PaymentStatus): void;
}

/**
 * Business metrics of the payment service. Made when the app is built, not at import: the API
 * has no proxy meter, so instruments created before the SDK starts (as in tests) would stay no-ops.
 */
export function createPaymentMetrics(): PaymentMetrics {
  const meter = metrics.getMeter('@mesh/payment');
  const duration = meter.createHistogram('mesh.payment.duration', {
    description: 'Latency of the payment processor',
    unit: 's',
  });
  const payments = meter.createCounter('mesh.payments', {
    description: 'Payments by the status they reached',
    unit: '{payment}',
  });
  return {
    recordProcessorLatency: (seconds, status) =>
      duration.record(seconds, { 'mesh.payment.status': status }),
    countPayment: (status) => payments.add(1, { 'mesh.payment.status': status }),
  };
}
