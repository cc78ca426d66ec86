import type { Redis } from '@mesh/service-kit';
import { createFastifyApp } from '@mesh/service-kit/fastify';
import type { FastifyInstance } from 'fastify';
import type { Inventory } from './domain/inventory';
import { registerProductRoutes } from './routes/products.routes';
import { registerReservationRoutes } from './routes/reservations.routes';

/** The largest valid request (20 lines) is about 1.5 KiB; anything much bigger is not ours. */
export const BODY_LIMIT_BYTES = 16 * 1024;

export interface AppDeps {
  inventory: Inventory;
  /** For the readiness check; the cache itself is inside `inventory`. */
  redis: Redis;
}

/** The inventory HTTP API. Never listens: main.ts does, tests use inject. */
export function buildApp({ inventory, redis }: AppDeps): FastifyInstance {
  return createFastifyApp({
    logger: inventory.logger,
    bodyLimitBytes: BODY_LIMIT_BYTES,
    readiness: {
      postgres: () => inventory.pool.query('SELECT 1'),
      redis: () => redis.ping(),
    },
    routes: (app) => {
      registerProductRoutes(app, inventory);
      registerReservationRoutes(app, inventory);
    },
  });
}
