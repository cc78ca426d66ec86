import { once } from 'node:events';
import { join } from 'node:path';
import {
  createPool,
  createRedis,
  exitOnSignals,
  failStart,
  migrate,
  startFaults,
} from '@mesh/service-kit';
import { createLogger } from '@mesh/telemetry';
import { buildApp } from './app';
import { loadPaymentConfig } from './config';
import { simulatedProcessorWithFaults } from './processor/payment-processor';

const SCHEMA = 'payments';

async function main(): Promise<void> {
  const config = loadPaymentConfig();
  const logger = createLogger({ name: 'payment', level: config.LOG_LEVEL });

  if (config.MIGRATE_ON_START) {
    const dir = join(__dirname, '..', 'migrations');
    await migrate({ databaseUrl: config.DATABASE_URL, schema: SCHEMA, dir, logger });
  }
  const pool = createPool(config.DATABASE_URL, {
    applicationName: 'payment',
    schema: SCHEMA,
    logger,
  });
  const redis = createRedis(config.REDIS_URL, {
    name: 'payment lock',
    keyPrefix: config.REDIS_KEY_PREFIX,
    logger,
    // A charge takes about 100 ms at the processor; a lock that waits longer is not worth it.
    commandTimeoutMs: 1_000,
    fallback: 'charges rely on the database guard alone',
  });
  const faults = await startFaults({ file: config.FLAGS_FILE, logger });
  const processor = simulatedProcessorWithFaults(
    {
      latencyMs: config.PAYMENT_LATENCY_MS,
      jitterMs: config.PAYMENT_LATENCY_JITTER_MS,
      declineRate: config.PAYMENT_DECLINE_RATE,
    },
    faults,
  );

  const app = buildApp({ pool, redis, processor, logger, lockTtlMs: config.PAYMENT_LOCK_TTL_MS });
  const server = app.listen(config.PORT, config.HOST);
  // Rejects on 'error' (e.g. the port is taken), which fails the start.
  await once(server, 'listening');
  logger.info({ port: config.PORT, host: config.HOST }, 'payment listening');

  exitOnSignals(
    [
      { name: 'http server', close: () => new Promise((resolve) => server.close(resolve)) },
      { name: 'redis', close: () => redis.quit().catch(() => redis.disconnect()) },
      { name: 'postgres pool', close: () => pool.end() },
      { name: 'fault flags', close: () => faults.close() },
    ],
    logger,
  );
}

main().catch((error: unknown) => failStart(createLogger({ name: 'payment' }), error));
