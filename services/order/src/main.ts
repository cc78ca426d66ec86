import { createServer, type Server } from 'node:http';
import { createPool, exitOnSignals, failStart, migrate, ServiceClient } from '@mesh/service-kit';
import { createLogger } from '@mesh/telemetry';
import { buildApp } from './app';
import { DB_SCHEMA, loadOrderConfig, MIGRATIONS_DIR } from './config';
import { startOrderRecovery } from './jobs/order-recovery.job';

async function main(): Promise<void> {
  const config = loadOrderConfig();
  const logger = createLogger({ name: 'order', level: config.LOG_LEVEL });
  const pool = createPool(config.DATABASE_URL, {
    applicationName: 'order',
    schema: DB_SCHEMA,
    logger,
  });
  if (config.MIGRATE_ON_START) {
    await migrate({
      databaseUrl: config.DATABASE_URL,
      schema: DB_SCHEMA,
      dir: MIGRATIONS_DIR,
      logger,
    });
  }
  const deps = {
    pool,
    logger,
    inventory: new ServiceClient({
      name: 'inventory',
      baseUrl: config.INVENTORY_URL,
      timeoutMs: config.INVENTORY_TIMEOUT_MS,
    }),
    payment: new ServiceClient({
      name: 'payment',
      baseUrl: config.PAYMENT_URL,
      timeoutMs: config.PAYMENT_TIMEOUT_MS,
    }),
  };

  const app = buildApp({ ...deps, bodyLimitBytes: config.BODY_LIMIT_BYTES });
  const server = await listen(createServer(app), config.PORT, config.HOST);
  const recovery = startOrderRecovery(deps, {
    intervalMs: config.ORDER_RECOVERY_INTERVAL_MS,
    afterMs: config.ORDER_RECOVERY_AFTER_MS,
  });
  logger.info({ port: config.PORT, host: config.HOST }, 'order service listening');

  exitOnSignals(
    [
      { name: 'http server', close: () => new Promise((done) => server.close(done)) },
      { name: 'order recovery', close: () => recovery.stop() },
      { name: 'postgres pool', close: () => pool.end() },
    ],
    logger,
  );
}

function listen(server: Server, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

main().catch((error: unknown) => failStart(createLogger({ name: 'order' }), error));
