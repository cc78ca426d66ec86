import { join } from 'node:path';
import { type Faults, noFaults, type Pool, type Redis } from '@mesh/service-kit';
import type { Logger } from '@mesh/telemetry';
import { metrics } from '@opentelemetry/api';
import { ProductCache } from './data/product.cache';
import { readStockLevels } from './data/product.repository';
import type { Inventory } from './domain/inventory';
import { createInventoryMetrics } from './metrics';

/** From src/ under jest and from dist/ in production alike. */
export const MIGRATIONS_DIR = join(__dirname, '..', 'migrations');

export const DB_SCHEMA = 'inventory';

/** Wires the use cases' dependencies; shared by the HTTP app, the sweeper and the consumer. */
export function createInventory(settings: {
  pool: Pool;
  redis: Redis;
  logger: Logger;
  cacheTtlSeconds: number;
  reservationTtlMs: number;
  /** Defaults to none switched on. */
  faults?: Faults;
  /** Defaults to Math.random. */
  random?: () => number;
}): Inventory {
  const { pool, redis, logger } = settings;
  const faults = settings.faults ?? noFaults;
  return {
    pool,
    logger,
    cache: new ProductCache(redis, settings.cacheTtlSeconds, logger, faults),
    metrics: createInventoryMetrics(
      metrics.getMeter('@mesh/inventory'),
      () => readStockLevels(pool),
      logger,
    ),
    reservationTtlMs: settings.reservationTtlMs,
    faults,
    random: settings.random ?? Math.random,
  };
}
