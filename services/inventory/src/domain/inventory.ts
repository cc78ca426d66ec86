import type { Faults, Pool } from '@mesh/service-kit';
import type { Logger } from '@mesh/telemetry';
import { trace } from '@opentelemetry/api';
import type { ProductCache } from '../data/product.cache';
import type { InventoryMetrics } from '../metrics';

/**
 * What the use cases work with; made once by createInventory and shared by HTTP, the sweeper
 * and the order-events consumer.
 */
export interface Inventory {
  pool: Pool;
  cache: ProductCache;
  metrics: InventoryMetrics;
  logger: Logger;
  /** How long a reservation holds its stock unless committed or released. */
  reservationTtlMs: number;
  /** The workshop fault flags, read where each fault acts. */
  faults: Faults;
  /** The dice of the faults that strike now and then, 0..1; tests pin it. */
  random: () => number;
}

export const tracer = trace.getTracer('@mesh/inventory');
