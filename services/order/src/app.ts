import {
  healthRoutes,
  jsonBody,
  notFound,
  problemHandler,
  traceHeaders,
} from '@mesh/service-kit/express';
import express, { type Express } from 'express';
import type { OrderDependencies } from './domain/dependencies';
import { ordersRoutes } from './routes/orders.routes';

export interface AppDependencies extends OrderDependencies {
  bodyLimitBytes: number;
}

/** The order service's HTTP API. Never listens and never reads the environment. */
export function buildApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(traceHeaders());
  healthRoutes(app, { postgres: () => deps.pool.query('SELECT 1') });
  app.use(jsonBody(deps.bodyLimitBytes));
  app.use(ordersRoutes(deps));
  app.use(notFound());
  app.use(problemHandler(deps.logger));
  return app;
}
