import type { Pool, Redis } from '@mesh/service-kit';
import {
  healthRoutes,
  jsonBody,
  notFound,
  problemHandler,
  traceHeaders,
} from '@mesh/service-kit/express';
import type { Logger } from '@mesh/telemetry';
import { metrics } from '@opentelemetry/api';
import express, { type Express } from 'express';
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
  const app = express();
  app.disable('x-powered-by');
  app.use(traceHeaders());
  healthRoutes(app, {
    postgres: () => deps.pool.query('SELECT 1'),
    redis: () => deps.redis.ping(),
  });
  app.use(jsonBody('16kb'));
  app.use(
    paymentRoutes({
      pool: deps.pool,
      lock: new PaymentLock(deps.redis, deps.lockTtlMs),
      processor: deps.processor,
      metrics: createPaymentMetrics(metrics.getMeter('@mesh/payment')),
      logger: deps.logger,
    }),
  );
  app.use(notFound());
  app.use(problemHandler(deps.logger));
  return app;
}
