import { withTransaction } from '@mesh/service-kit';
import { inSpan } from '@mesh/telemetry';
import { returnStock } from '../data/product.repository';
import {
  lockExpiredReservations,
  reservedQuantities,
  setReservationsStatus,
} from '../data/reservation.repository';
import { type Inventory, tracer } from './inventory';

/** Reservations released per transaction: keeps row locks and transactions short. */
export const SWEEP_BATCH_SIZE = 100;

/**
 * One sweep step: releases up to `batchSize` RESERVED reservations whose time is up (the order
 * never committed or released them, e.g. the order service crashed mid-way) and gives their
 * stock back. Returns how many it released.
 */
export async function releaseExpiredReservations(
  inventory: Inventory,
  batchSize = SWEEP_BATCH_SIZE,
): Promise<number> {
  return inSpan(tracer, 'release expired reservations', {}, async (span) => {
    const { orderIds, skus } = await withTransaction(inventory.pool, async (client) => {
      const orderIds = await lockExpiredReservations(client, batchSize);
      if (orderIds.length === 0) return { orderIds, skus: [] };
      // Summed per sku and in sku order: each product row is locked once, in the usual order.
      const quantities = await reservedQuantities(client, orderIds);
      for (const { sku, quantity } of quantities) await returnStock(client, sku, quantity);
      await setReservationsStatus(client, orderIds, 'RELEASED');
      return { orderIds, skus: quantities.map((line) => line.sku) };
    });

    span.setAttribute('mesh.reservation.expired_count', orderIds.length);
    if (orderIds.length === 0) return 0;
    await inventory.cache.invalidate(skus);
    inventory.metrics.countReservations('expired', orderIds.length);
    inventory.logger.info({ orderIds }, 'released expired reservations');
    return orderIds.length;
  });
}
