import type { Pool } from '@mesh/service-kit';
import type { Logger } from '@mesh/telemetry';
import { trace } from '@opentelemetry/api';
import type { PaymentLock } from '../data/payment-lock';
import type { PaymentMetrics } from '../metrics';
import type { PaymentProcessor } from '../processor/payment-processor';

/** What the payment use cases work with; buildApp assembles it. */
export interface PaymentDeps {
  pool: Pool;
  lock: PaymentLock;
  processor: PaymentProcessor;
  metrics: PaymentMetrics;
  logger: Logger;
}

export const tracer = trace.getTracer('@mesh/payment');
