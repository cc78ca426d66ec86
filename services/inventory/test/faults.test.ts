import type { Product, Reservation } from '@mesh/contracts';
import { type Faults, startFaults } from '@mesh/service-kit';
import { startInMemoryTelemetry } from '@mesh/telemetry-testing';
import { eventually, flagFileCopy } from '@mesh/testkit';
import { SpanStatusCode } from '@opentelemetry/api';
import { Client } from 'pg';
import {
  expectProblem,
  logger,
  newOrderId,
  pointsOf,
  reservationStatus,
  reserve,
  setStock,
  startInventory,
  stockOf,
  type TestInventory,
  valueFor,
} from './support';

// Before the app is built, so its tracer and meter come from this SDK.
const telemetry = startInMemoryTelemetry();

/*
 * The inventory faults as a learner finds them: switched in the flag file while the service runs,
 * then seen on the spans, the metrics and the statements sent to PostgreSQL (each one a span of
 * the pg instrumentation in a running service).
 */
describe('inventory faults', () => {
  const flags = flagFileCopy();
  let faults: Faults;
  let service: TestInventory;
  /** What the service's dice roll next. */
  let draw = 0.99;

  beforeAll(async () => {
    faults = await startFaults({ file: flags.file, logger });
    service = await startInventory({ faults, random: () => draw });
  });
  afterEach(() => telemetry.reset());
  afterAll(async () => {
    await service.stop();
    await faults.close();
    await telemetry.shutdown();
  });

  const untilOn = (flag: 'inventory-cache-bypass' | 'inventory-n-plus-one', on: boolean) =>
    eventually(
      async () => ((await faults.on(flag)) === on ? true : undefined),
      `${flag} to be read as ${on ? 'on' : 'off'}`,
    );

  describe('inventory-cache-bypass', () => {
    const getProduct = async (sku: string) => {
      const response = await service.app.inject({ method: 'GET', url: `/products/${sku}` });
      expect(response.statusCode).toBe(200);
      return response.json<Product>();
    };
    const getPage = async () => {
      const response = await service.app.inject({ method: 'GET', url: '/products?limit=3' });
      expect(response.statusCode).toBe(200);
    };
    const lookups = async () => {
      const points = pointsOf(await telemetry.collectMetrics(), 'mesh.inventory.cache.lookups');
      return (result: string) => Number(valueFor(points, 'mesh.cache.result', result) ?? 0);
    };

    it('when switched on, then every read is a bypass answered by PostgreSQL, and reads hit the cache again once off', async () => {
      const before = await lookups();
      await getProduct('STICKER-HOLO');
      await getProduct('STICKER-HOLO');
      await getPage();
      await getPage();
      const cached = await lookups();
      expect(cached('miss') - before('miss')).toBe(2);
      expect(cached('hit') - before('hit')).toBe(2);

      flags.switchTo('inventory-cache-bypass', 'on');
      await untilOn('inventory-cache-bypass', true);
      // Behind the cache's back: only a read from PostgreSQL sees the new stock.
      await setStock(service.pool, 'STICKER-HOLO', 7);
      expect((await getProduct('STICKER-HOLO')).stock).toBe(7);
      await getProduct('KEYCHAIN-ENAMEL');
      await getPage();
      const bypassed = await lookups();
      expect(bypassed('bypass') - cached('bypass')).toBe(3);
      expect(bypassed('hit') - cached('hit')).toBe(0);
      expect(bypassed('miss') - cached('miss')).toBe(0);
      // Nothing is stored either: Redis is not asked at all.
      expect(await service.redis.get('product:KEYCHAIN-ENAMEL')).toBeNull();

      flags.switchTo('inventory-cache-bypass', null);
      await untilOn('inventory-cache-bypass', false);
      await getProduct('STICKER-HOLO');
      await getPage();
      const after = await lookups();
      expect(after('hit') - bypassed('hit')).toBe(2);
      expect(after('bypass') - bypassed('bypass')).toBe(0);
    });
  });

  describe('inventory-n-plus-one', () => {
    const items = [
      { sku: 'PEN-GEL-BLACK', quantity: 1 },
      { sku: 'PEN-GEL-BLUE', quantity: 1 },
      { sku: 'TOTE-CANVAS', quantity: 1 },
    ];
    /** Reserves the three items; returns the reservation and the statements that read products. */
    const reserveCountingProductReads = async () => {
      const query = jest.spyOn(Client.prototype, 'query');
      try {
        const response = await reserve(service.app, { orderId: newOrderId(), items });
        expect(response.statusCode).toBe(201);
        const statements = query.mock.calls.map(([sql]) =>
          typeof sql === 'string' ? sql : String((sql as { text?: unknown }).text),
        );
        const productReads = statements.filter((sql) => /^SELECT .* FROM products\b/s.test(sql));
        return { reservation: response.json<Reservation>(), productReads };
      } finally {
        query.mockRestore();
      }
    };

    it('when switched on, then a reservation of 3 items reads its products with 3 SELECTs instead of 1, with the same answers', async () => {
      const before = await reserveCountingProductReads();
      expect(before.productReads).toHaveLength(1);

      flags.switchTo('inventory-n-plus-one', 'on');
      await untilOn('inventory-n-plus-one', true);
      const slow = await reserveCountingProductReads();
      expect(slow.productReads).toHaveLength(3);
      expect(slow.reservation.items).toEqual(before.reservation.items);
      const unknown = await reserve(service.app, {
        orderId: newOrderId(),
        items: [...items, { sku: 'NO-SUCH-THING', quantity: 1 }],
      });
      expectProblem(unknown, 422, 'unknown-sku');

      flags.switchTo('inventory-n-plus-one', null);
      await untilOn('inventory-n-plus-one', false);
      expect((await reserveCountingProductReads()).productReads).toHaveLength(1);
    });
  });

  describe('inventory-failing-sku', () => {
    const failingSku = 'MUG-BLUE-350';
    // Sorts before the failing SKU, so its stock is taken before the failure and must roll back.
    const otherSku = 'BEANIE-CHARCOAL';
    const reserveSpans = async () =>
      (await telemetry.spans()).filter((span) => span.name === 'reserve stock');
    const untilFailingSku = (sku: string) =>
      eventually(
        async () => ((await faults.text('inventory-failing-sku')) === sku ? true : undefined),
        `inventory-failing-sku to be read as '${sku}'`,
      );

    beforeAll(async () => {
      flags.switchTo('inventory-failing-sku', 'on');
      await untilFailingSku(failingSku);
    });

    it('when the dice say fail, then a reservation holding the SKU is a 500 that changes nothing, on a span in error naming the SKU', async () => {
      const stockBefore = [
        await stockOf(service.pool, otherSku),
        await stockOf(service.pool, failingSku),
      ];
      const orderId = newOrderId();
      draw = 0.49;
      const response = await reserve(service.app, {
        orderId,
        items: [
          { sku: failingSku, quantity: 1 },
          { sku: otherSku, quantity: 1 },
        ],
      });

      const problem = expectProblem(response, 500, 'internal-error');
      expect(JSON.stringify(problem)).not.toContain('stock row');
      expect([
        await stockOf(service.pool, otherSku),
        await stockOf(service.pool, failingSku),
      ]).toEqual(stockBefore);
      expect(await reservationStatus(service.pool, orderId)).toBeUndefined();
      const [span] = await reserveSpans();
      expect(span?.status.code).toBe(SpanStatusCode.ERROR);
      expect(span?.attributes).toMatchObject({
        'mesh.order.id': orderId,
        'mesh.product.sku': failingSku,
        'error.type': 'Error',
      });
      expect(span?.events.map((event) => event.name)).toEqual(['exception']);
    });

    it('when the dice say pass, or the SKU is not in the reservation, then it is reserved and no span names a SKU', async () => {
      draw = 0.5;
      const holding = await reserve(service.app, {
        orderId: newOrderId(),
        items: [{ sku: failingSku, quantity: 1 }],
      });
      expect(holding.statusCode).toBe(201);

      draw = 0;
      const without = await reserve(service.app, {
        orderId: newOrderId(),
        items: [{ sku: otherSku, quantity: 1 }],
      });
      expect(without.statusCode).toBe(201);

      const spans = await reserveSpans();
      expect(spans.map((span) => span.status.code)).toEqual([
        SpanStatusCode.UNSET,
        SpanStatusCode.UNSET,
      ]);
      expect(spans.map((span) => span.attributes['mesh.product.sku'])).toEqual([
        undefined,
        undefined,
      ]);
    });

    it('when switched off, then the SKU is reserved whatever the dice say', async () => {
      flags.switchTo('inventory-failing-sku', null);
      await untilFailingSku('');
      draw = 0;
      const response = await reserve(service.app, {
        orderId: newOrderId(),
        items: [{ sku: failingSku, quantity: 1 }],
      });
      expect(response.statusCode).toBe(201);
    });
  });
});
