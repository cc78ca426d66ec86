import type { PaymentStatus } from '@mesh/contracts';
import type { Meter } from '@opentelemetry/api';

export interface PaymentMetrics {
  /** How long the processor took to answer, by its answer (CHARGED or DECLINED). */
  recordProcessorLatency(seconds: number, status: PaymentStatus): void;
  /** A payment reached `status`. */
  countPayment(status: PaymentStatus): void;
}

/** Business metrics of the payment service, from the meter the wiring passes in. */
export function createPaymentMetrics(meter: Meter): PaymentMetrics {
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
