import { createPool, exitOnSignals, failStart, migrate } from '@mesh/service-kit';
import { createLogger } from '@mesh/telemetry';
import { buildApp } from './app';
import { readConfig } from './config';
import { createRedis } from './data/redis';
import { startReservationSweeper } from './domain/expire-reservations';
import { createInventory, DB_SCHEMA, MIGRATIONS_DIR } from './inventory';

async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger({ name: 'inventory', level: config.LOG_LEVEL });

  if (config.MIGRATE_ON_START) {
    await migrate({
      databaseUrl: config.DATABASE_URL,
      schema: DB_SCHEMA,
      dir: MIGRATIONS_DIR,
      logger,
    });
  }
  const pool = createPool(config.DATABASE_URL, {
    applicationName: 'inventory',
    schema: DB_SCHEMA,
    logger,
  });
  const redis = createRedis(config.REDIS_URL, { keyPrefix: config.REDIS_KEY_PREFIX, logger });
  const inventory = createInventory({
    pool,
    redis,
    logger,
    cacheTtlSeconds: config.CACHE_TTL_SECONDS,
    reservationTtlMs: config.RESERVATION_TTL_MS,
  });

  const app = buildApp({ inventory, redis });
  await app.listen({ port: config.PORT, host: config.HOST });
  const sweeper = startReservationSweeper(inventory, config.RESERVATION_SWEEP_INTERVAL_MS);

  exitOnSignals(
    [
      { name: 'http server', close: () => app.close() },
      { name: 'reservation sweeper', close: () => sweeper.stop() },
      { name: 'stock metrics', close: () => inventory.metrics.stop() },
      { name: 'redis', close: () => redis.quit() },
      { name: 'postgres pool', close: () => pool.end() },
    ],
    logger,
  );
}

// Bad config, an unreachable database or a failed migration: say why and exit non-zero.
main().catch((error: unknown) => failStart(createLogger({ name: 'inventory' }), error));
