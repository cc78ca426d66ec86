import type { Logger } from '@mesh/telemetry';
import type { Meter, ObservableResult } from '@opentelemetry/api';

export type ReservationOutcome =
  | 'reserved'
  | 'out_of_stock'
  | 'released'
  | 'committed'
  | 'expired'
  /** A commit of a released or a release of a committed reservation, refused. */
  | 'conflict';

/**
 * How a catalogue read went at the cache: answered from Redis, not there (or Redis unreachable),
 * or Redis not asked at all (the workshop fault inventory-cache-bypass).
 */
export type CacheLookupResult = 'hit' | 'miss' | 'bypass';

export interface InventoryMetrics {
  countReservations(outcome: ReservationOutcome, count?: number): void;
  countCacheLookup(result: CacheLookupResult): void;
  /** Stops reporting stock levels (on shutdown, so no callback queries a closed pool). */
  stop(): void;
}

/** The inventory's business metrics, from the meter the wiring passes in. */
export function createInventoryMetrics(
  meter: Meter,
  readStockLevels: () => Promise<{ sku: string; stock: number }[]>,
  logger: Logger,
): InventoryMetrics {
  const reservations = meter.createCounter('mesh.inventory.reservations', {
    description: 'Reservation requests and lifecycle changes, by outcome',
    unit: '{reservation}',
  });
  const cacheLookups = meter.createCounter('mesh.inventory.cache.lookups', {
    description: 'Catalogue reads by what the Redis product cache did: hit, miss or bypass',
    unit: '{lookup}',
  });
  const stock = meter.createObservableGauge('mesh.inventory.stock', {
    description: 'Units of each product that can still be reserved',
    unit: '{unit}',
  });
  // Read when the metrics are collected (every export interval), not on every stock change.
  const observeStock = async (result: ObservableResult) => {
    try {
      for (const { sku, stock: units } of await readStockLevels()) {
        result.observe(units, { 'mesh.product.sku': sku });
      }
    } catch (error) {
      logger.warn({ err: error }, 'could not read stock levels for metrics');
    }
  };
  stock.addCallback(observeStock);
  return {
    countReservations(outcome, count = 1) {
      reservations.add(count, { 'mesh.reservation.outcome': outcome });
    },
    countCacheLookup(result) {
      cacheLookups.add(1, { 'mesh.cache.result': result });
    },
    stop() {
      stock.removeCallback(observeStock);
    },
  };
}
