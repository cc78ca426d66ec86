import type { Product } from '@mesh/contracts';
import { releaseExpiredReservations } from '../src/domain/expire-reservations';
import { startReservationExpiry } from '../src/jobs/reservation-expiry.job';
import {
  expectProblem,
  newOrderId,
  reservationStatus,
  reserve,
  startInventory,
  stockOf,
  type TestInventory,
} from './support';

describe('expiry of reservations', () => {
  let service: TestInventory;
  beforeAll(async () => {
    service = await startInventory();
  });
  afterAll(() => service.stop());

  const reserveOne = async (sku: string, quantity: number) => {
    const orderId = newOrderId();
    const response = await reserve(service.app, { orderId, items: [{ sku, quantity }] });
    expect(response.statusCode).toBe(201);
    return orderId;
  };
  const expire = (orderId: string) =>
    service.pool.query(
      "UPDATE reservations SET expires_at = now() - interval '1 second' WHERE order_id = $1",
      [orderId],
    );
  const cachedStock = async (sku: string) => {
    const response = await service.app.inject({ method: 'GET', url: `/products/${sku}` });
    return response.json<Product>().stock;
  };

  it('when a reserved reservation is past its time, then one sweep releases it and returns its stock', async () => {
    const expired = await reserveOne('TSHIRT-LOGO-S', 3);
    const committed = await reserveOne('TSHIRT-LOGO-M', 2);
    const current = await reserveOne('TSHIRT-LOGO-L', 1);
    await service.app.inject({ method: 'POST', url: `/reservations/${committed}/commit` });
    await expire(expired);
    await expire(committed);
    expect(await cachedStock('TSHIRT-LOGO-S')).toBe(117);

    expect(await releaseExpiredReservations(service.inventory)).toBe(1);

    expect(await reservationStatus(service.pool, expired)).toBe('RELEASED');
    expect(await stockOf(service.pool, 'TSHIRT-LOGO-S')).toBe(120);
    // The cached product was invalidated, so readers see the stock that came back.
    expect(await cachedStock('TSHIRT-LOGO-S')).toBe(120);
    // A committed reservation is sold, whatever its expiry; one still in time is left alone.
    expect(await reservationStatus(service.pool, committed)).toBe('COMMITTED');
    expect(await stockOf(service.pool, 'TSHIRT-LOGO-M')).toBe(258);
    expect(await reservationStatus(service.pool, current)).toBe('RESERVED');
    expect(await stockOf(service.pool, 'TSHIRT-LOGO-L')).toBe(229);

    expect(await releaseExpiredReservations(service.inventory)).toBe(0);
    expect(await stockOf(service.pool, 'TSHIRT-LOGO-S')).toBe(120);
  });

  it('when the sweep released an unconfirmed reservation, then committing it is refused with 409 reservation-not-committable and the stock stays back', async () => {
    const sku = 'MUG-BLACK-450';
    const before = await stockOf(service.pool, sku);
    const orderId = await reserveOne(sku, 2);
    await expire(orderId);
    expect(await releaseExpiredReservations(service.inventory)).toBe(1);

    const commit = await service.app.inject({
      method: 'POST',
      url: `/reservations/${orderId}/commit`,
    });

    expect(expectProblem(commit, 409, 'reservation-not-committable').detail).toMatch(/expiry/);
    expect(await reservationStatus(service.pool, orderId)).toBe('RELEASED');
    expect(await stockOf(service.pool, sku)).toBe(before);
  });

  it('when a commit and the sweep meet an expired reservation at once, then either it is sold or it is released, never committed without its stock', async () => {
    const sku = 'MUG-BLACK-450';
    const before = await stockOf(service.pool, sku);
    let committed = 0;
    for (let round = 0; round < 15; round++) {
      const orderId = await reserveOne(sku, 1);
      await expire(orderId);
      const [commit] = await Promise.all([
        service.app.inject({ method: 'POST', url: `/reservations/${orderId}/commit` }),
        releaseExpiredReservations(service.inventory),
      ]);
      const status = await reservationStatus(service.pool, orderId);
      if (commit.statusCode === 200) {
        committed += 1;
        expect(status).toBe('COMMITTED');
      } else {
        expectProblem(commit, 409, 'reservation-not-committable');
        expect(status).toBe('RELEASED');
      }
    }
    // Only the committed reservations still hold their unit.
    expect(await stockOf(service.pool, sku)).toBe((before ?? 0) - committed);
  });

  it('when more have expired than fit in a batch, then each sweep releases one batch', async () => {
    const orderIds = [
      await reserveOne('STICKER-PACK-10', 1),
      await reserveOne('STICKER-PACK-10', 2),
      await reserveOne('STICKER-PACK-10', 3),
    ];
    for (const orderId of orderIds) await expire(orderId);
    expect(await releaseExpiredReservations(service.inventory, 2)).toBe(2);
    expect(await releaseExpiredReservations(service.inventory, 2)).toBe(1);
    expect(await stockOf(service.pool, 'STICKER-PACK-10')).toBe(350);
  });

  it('when the sweeper runs, then it releases expired reservations until stopped', async () => {
    const orderId = await reserveOne('MUG-ENAMEL-GREEN', 4);
    await expire(orderId);
    const sweeper = startReservationExpiry(service.inventory, { intervalMs: 20 });
    try {
      const deadline = Date.now() + 5_000;
      while ((await reservationStatus(service.pool, orderId)) !== 'RELEASED') {
        if (Date.now() > deadline) throw new Error('the sweeper did not release the reservation');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await sweeper.stop();
    }
    expect(await stockOf(service.pool, 'MUG-ENAMEL-GREEN')).toBe(95);
  });
});
