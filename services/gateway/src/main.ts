import { exitOnSignals, failStart } from '@mesh/service-kit';
import { createLogger } from '@mesh/telemetry';
import { buildApp } from './app';
import { InventoryClient } from './clients/inventory.client';
import { OrderClient } from './clients/order.client';
import { Upstream } from './clients/upstream';
import { loadGatewayConfig } from './config';
import { createRedis } from './redis';

async function main(): Promise<void> {
  const config = loadGatewayConfig();
  const logger = createLogger({ name: 'gateway', level: config.LOG_LEVEL });
  const redis = createRedis({ url: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX }, logger);
  const orders = new OrderClient(
    new Upstream({ name: 'order', baseUrl: config.ORDER_URL, timeoutMs: config.ORDER_TIMEOUT_MS }),
  );
  const inventory = new InventoryClient(
    new Upstream({
      name: 'inventory',
      baseUrl: config.INVENTORY_URL,
      timeoutMs: config.INVENTORY_TIMEOUT_MS,
    }),
  );
  const app = buildApp({
    logger,
    redis,
    orders,
    inventory,
    apiKeys: config.apiKeys,
    rateLimit: { max: config.RATE_LIMIT_MAX, windowMs: config.RATE_LIMIT_WINDOW_MS },
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
  });
  await app.listen({ port: config.PORT, host: config.HOST });
  exitOnSignals(
    [
      { name: 'http server', close: () => app.close() },
      { name: 'redis', close: () => redis.quit() },
    ],
    logger,
  );
}

main().catch((error: unknown) => failStart(createLogger({ name: 'gateway' }), error));
