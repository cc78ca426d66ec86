import { type Faults, optionalCheck, type Redis, type ServerLimits } from '@mesh/service-kit';
import { createFastifyApp } from '@mesh/service-kit/fastify';
import type { Logger } from '@mesh/telemetry';
import type { FastifyInstance } from 'fastify';
import type { InventoryClient } from './clients/inventory.client';
import type { NotificationClient } from './clients/notification.client';
import type { OrderClient } from './clients/order.client';
import type { GatewayMetrics } from './metrics';
import { API_KEY_HEADER, ApiKeys } from './protection/api-keys';
import { registerCors } from './protection/cors';
import { registerLoadShedding } from './protection/load-shedding';
import { type RateLimitSettings, registerRateLimit } from './protection/rate-limit';
import { requestSnapshots } from './request-snapshots';
import { registerNotificationRoutes } from './routes/notifications.routes';
import { registerOrderRoutes } from './routes/orders.routes';
import { registerProductRoutes } from './routes/products.routes';

export interface AppDeps {
  logger: Logger;
  metrics: GatewayMetrics;
  /** Holds the rate limit counters; created with the service's keyPrefix. */
  redis: Redis;
  orders: OrderClient;
  inventory: InventoryClient;
  notifications: NotificationClient;
  apiKeys: readonly string[];
  /** The one browser origin allowed cross-origin (the storefront's); '' for none. */
  corsAllowedOrigin: string;
  rateLimit: RateLimitSettings;
  bodyLimitBytes: number;
  /** Requests to /api in progress at once; beyond, 503 overloaded. */
  maxInFlight: number;
  serverLimits: ServerLimits;
  /** The workshop fault flags (gateway-memory-leak). */
  faults: Faults;
}

/**
 * The public API. Every request to /api passes, in this order: load shedding and the rate limit
 * (onRequest), the API key (preParsing, so a refused request's body is never read), the body
 * limit and JSON parsing, then validation against the contract schemas. Whatever is refused is
 * answered as problem+json by the platform and never reaches order or inventory. The server
 * itself bounds connections and how slowly a client may send (deps.serverLimits).
 *
 * CORS is off unless one origin is configured (the storefront's): then that origin, and no
 * other, may call the API from a browser, with the same API key as any client.
 */
export function buildApp(deps: AppDeps): FastifyInstance {
  const apiKeys = new ApiKeys(deps.apiKeys);
  const snapshots = requestSnapshots(deps.faults);
  // A named plugin: with framework spans on (MESH_TRACE_FRAMEWORK_SPANS), @fastify/otel names
  // hook spans after it ("onRequest - publicApi").
  async function publicApi(api: FastifyInstance): Promise<void> {
    registerLoadShedding(api, { maxInFlight: deps.maxInFlight, metrics: deps.metrics });
    await registerRateLimit(api, {
      redis: deps.redis,
      apiKeys,
      settings: deps.rateLimit,
      metrics: deps.metrics,
      logger: deps.logger,
    });
    api.addHook('preParsing', async function authenticate(request) {
      apiKeys.authenticate(request.headers[API_KEY_HEADER]);
      // In an existing hook, not one of its own: with framework spans on, every hook is a span.
      await snapshots.record(request);
    });
    registerOrderRoutes(api, deps.orders);
    registerProductRoutes(api, deps.inventory);
    registerNotificationRoutes(api, deps.notifications);
  }
  return createFastifyApp({
    logger: deps.logger,
    bodyLimitBytes: deps.bodyLimitBytes,
    serverLimits: deps.serverLimits,
    // Outside /api: no key, no rate limit and no load shedding, so probes always get through.
    // Redis only holds the rate limit counters, which fail open: reported, never "not ready".
    readiness: {
      redis: optionalCheck(() => deps.redis.ping()),
      order: () => deps.orders.checkHealth(),
      inventory: () => deps.inventory.checkHealth(),
    },
    routes: (app) => {
      registerCors(app, deps.corsAllowedOrigin);
      app.register(publicApi, { prefix: '/api' });
    },
  });
}
