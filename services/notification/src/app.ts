import type { Pool, ReadinessCheck } from '@mesh/service-kit';
import { createFastifyApp } from '@mesh/service-kit/fastify';
import type { Logger } from '@mesh/telemetry';
import type { FastifyInstance } from 'fastify';
import { notificationRoutes } from './routes/notifications.routes';

export interface AppDeps {
  pool: Pool;
  logger: Logger;
  /** Dependencies /readyz checks, e.g. PostgreSQL and the Kafka consumer. */
  readiness: Record<string, ReadinessCheck>;
}

/** The HTTP side of the service: health and the notifications of an order. */
export function buildApp(deps: AppDeps): FastifyInstance {
  return createFastifyApp({
    logger: deps.logger,
    readiness: deps.readiness,
    routes: (app) => notificationRoutes(app, deps.pool),
  });
}
