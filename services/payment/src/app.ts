import type { Pool, Redis } from '@mesh/service-kit';
import { createExpressApp } from '@mesh/service-kit/express';
import type { Logger } from '@mesh/telemetry';
import { metrics } from '@opentelemetry/api';
import type { Express } from 'express';
import { PaymentLock } from './data/payment-lock';
import { createPaymentMetrics } from './metrics';
import type { PaymentProcessor } from './processor/payment-processor';
import { paymentRoutes } from './routes/payments.routes';

export interface AppDependencies {
  pool: Pool;
  redis: Redis;
  processor: PaymentProcessor;
  logger: Logger;
  /** How long a per-order lock lives if its holder never releases it. */
  lockTtlMs: number;
}

/** The payment service's HTTP app. Never listens and never reads the environment. */
export function buildApp(deps: AppDependencies): Express {
  return createExpressApp({
    logger: deps.logger,
    readiness: {
      postgres: () => deps.pool.query('SELECT 1'),
      redis: () => deps.redis.ping(),
    },
    routes: (app) =>
      app.use(
        paymentRoutes({
          pool: deps.pool,
          lock: new PaymentLock(deps.redis, deps.lockTtlMs),
          processor: deps.processor,
          metrics: createPaymentMetrics(metrics.getMeter('@mesh/payment')),
          logger: deps.logger,
        }),
      ),
  });
}
