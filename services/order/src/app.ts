import { createExpressApp } from '@mesh/service-kit/express';
import type { Express } from 'express';
import { DEFAULT_DEADLINE_MARGIN_MS } from './domain/deadline';
import type { OrderDependencies } from './domain/dependencies';
import { ordersRoutes } from './routes/orders.routes';

export interface AppDependencies extends OrderDependencies {
  bodyLimitBytes: number;
  /** ORDER_DEADLINE_MARGIN_MS; DEFAULT_DEADLINE_MARGIN_MS when not given. */
  deadlineMarginMs?: number;
}

/** The order service's HTTP API. Never listens and never reads the environment. */
export function buildApp(deps: AppDependencies): Express {
  return createExpressApp({
    logger: deps.logger,
    readiness: { postgres: () => deps.pool.query('SELECT 1') },
    bodyLimitBytes: deps.bodyLimitBytes,
    routes: (app) =>
      app.use(
        ordersRoutes(deps, {
          deadlineMarginMs: deps.deadlineMarginMs ?? DEFAULT_DEADLINE_MARGIN_MS,
        }),
      ),
  });
}
