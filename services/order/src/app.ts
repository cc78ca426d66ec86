import {
  healthRoutes,
  jsonBody,
  notFound,
  problemHandler,
  traceHeaders,
} from '@mesh/service-kit/express';
import express, { type Express } from 'express';
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
  const app = express();
  app.disable('x-powered-by');
  app.use(traceHeaders());
  healthRoutes(app, { postgres: () => deps.pool.query('SELECT 1') });
  app.use(jsonBody(deps.bodyLimitBytes));
  app.use(
    ordersRoutes(deps, {
      deadlineMarginMs: deps.deadlineMarginMs ?? DEFAULT_DEADLINE_MARGIN_MS,
    }),
  );
  app.use(notFound());
  app.use(problemHandler(deps.logger));
  return app;
}
