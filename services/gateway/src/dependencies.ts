import { createRedis, type Faults } from '@mesh/service-kit';
import type { Logger } from '@mesh/telemetry';
import { metrics } from '@opentelemetry/api';
import type { AppDeps } from './app';
import { InventoryClient } from './clients/inventory.client';
import { NotificationClient } from './clients/notification.client';
import { OrderClient } from './clients/order.client';
import { Upstream } from './clients/upstream';
import type { GatewayConfig } from './config';
import { createGatewayMetrics } from './metrics';

/**
 * Everything buildApp needs, made from the configuration: Redis and the service clients; the
 * fault flags are started by the caller (they are read from a file, asynchronously).
 */
export function createDependencies(config: GatewayConfig, logger: Logger, faults: Faults): AppDeps {
  const gatewayMetrics = createGatewayMetrics(metrics.getMeter('@mesh/gateway'));
  const upstream = (name: string, baseUrl: string, timeoutMs: number) =>
    new Upstream({ name, baseUrl, timeoutMs, metrics: gatewayMetrics });
  return {
    logger,
    metrics: gatewayMetrics,
    redis: createRedis(config.REDIS_URL, {
      name: 'rate limiter',
      keyPrefix: config.REDIS_KEY_PREFIX,
      logger,
      fallback: 'requests pass without a rate limit',
    }),
    orders: new OrderClient(upstream('order', config.ORDER_URL, config.ORDER_TIMEOUT_MS)),
    inventory: new InventoryClient(
      upstream('inventory', config.INVENTORY_URL, config.INVENTORY_TIMEOUT_MS),
    ),
    notifications: new NotificationClient(
      upstream('notification', config.NOTIFICATION_URL, config.NOTIFICATION_TIMEOUT_MS),
    ),
    faults,
    apiKeys: config.apiKeys,
    corsAllowedOrigin: config.corsAllowedOrigin,
    rateLimit: { max: config.RATE_LIMIT_MAX, windowMs: config.RATE_LIMIT_WINDOW_MS },
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    maxInFlight: config.MAX_IN_FLIGHT,
    serverLimits: {
      connectionTimeoutMs: config.CONNECTION_TIMEOUT_MS,
      headersTimeoutMs: config.HEADERS_TIMEOUT_MS,
      requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: config.KEEP_ALIVE_TIMEOUT_MS,
      maxRequestsPerSocket: config.MAX_REQUESTS_PER_SOCKET,
      maxConnections: config.MAX_CONNECTIONS,
    },
  };
}
