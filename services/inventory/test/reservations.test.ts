import type { Reservation } from '@mesh/contracts';
import {
  countRows,
  expectProblem,
  newOrderId,
  reservationStatus,
  reserve,
  setStock,
  startInventory,
  stockOf,
  type TestInventory,
} from './support';

describe('stock reservations', () => {
  let service: TestInventory;
  beforeAll(async () => {
    service = await startInventory();
  });
  afterAll(() => service.stop());

  const post = (url: string) => service.app.inject({ method: 'POST', url });

  describe('reserve', () => {
    it('when every line is in stock, then 201 with the lines priced and the stock taken', async () => {
      const orderId = newOrderId();
      const before = Date.now();
      const response = await reserve(service.app, {
        orderId,
        items: [
          { sku: 'STICKER-LOGO', quantity: 4 },
          { sku: 'MUG-WHITE-350', quantity: 1 },
        ],
      });
      expect(response.statusCode).toBe(201);
      expect(response.headers.location).toBe(`/reservations/${orderId}`);
      const reservation = response.json<Reservation>();
      expect(reservation).toEqual({
        orderId,
        status: 'RESERVED',
        expiresAt: expect.any(String),
        items: [
          { sku: 'MUG-WHITE-350', quantity: 1, unitPriceCents: 1290 },
          { sku: 'STICKER-LOGO', quantity: 4, unitPriceCents: 250 },
        ],
        totalCents: 1290 + 4 * 250,
        currency: 'EUR',
      });
      // expiresAt = now + RESERVATION_TTL_MS (15 minutes here).
      const ttl = Date.parse(reservation.expiresAt) - before;
      expect(ttl).toBeGreaterThan(900_000 - 5_000);
      expect(ttl).toBeLessThan(900_000 + 5_000);

      expect(await stockOf(service.pool, 'STICKER-LOGO')).toBe(496);
      expect(await stockOf(service.pool, 'MUG-WHITE-350')).toBe(309);
      const got = await service.app.inject({ method: 'GET', url: `/reservations/${orderId}` });
      expect(got.statusCode).toBe(200);
      expect(got.json()).toEqual(reservation);
    });

    it('when a sku repeats, then its lines are merged into one', async () => {
      await setStock(service.pool, 'PIN-ENAMEL-LOGO', 10);
      const response = await reserve(service.app, {
        orderId: newOrderId(),
        items: [
          { sku: 'PIN-ENAMEL-LOGO', quantity: 2 },
          { sku: 'PIN-ENAMEL-LOGO', quantity: 3 },
        ],
      });
      expect(response.statusCode).toBe(201);
      expect(response.json<Reservation>().items).toEqual([
        { sku: 'PIN-ENAMEL-LOGO', quantity: 5, unitPriceCents: 490 },
      ]);
      expect(await stockOf(service.pool, 'PIN-ENAMEL-LOGO')).toBe(5);

      // Merged, 3 + 3 is more than the 5 left although each line alone would fit.
      const tooMuch = await reserve(service.app, {
        orderId: newOrderId(),
        items: [
          { sku: 'PIN-ENAMEL-LOGO', quantity: 3 },
          { sku: 'PIN-ENAMEL-LOGO', quantity: 3 },
        ],
      });
      expectProblem(tooMuch, 409, 'out-of-stock');
      expect(await stockOf(service.pool, 'PIN-ENAMEL-LOGO')).toBe(5);
    });

    it('when the price changes later, then the reservation keeps the price it was made at', async () => {
      const orderId = newOrderId();
      await reserve(service.app, { orderId, items: [{ sku: 'CAP-NAVY', quantity: 1 }] });
      await service.pool.query("UPDATE products SET price_cents = 2990 WHERE sku = 'CAP-NAVY'");
      const got = await service.app.inject({ method: 'GET', url: `/reservations/${orderId}` });
      expect(got.json<Reservation>()).toMatchObject({
        items: [{ sku: 'CAP-NAVY', quantity: 1, unitPriceCents: 1990 }],
        totalCents: 1990,
      });
    });

    it('when 50 orders race for 10 units, then exactly 10 win and stock ends at 0', async () => {
      const sku = 'MUG-BLACK-450';
      await setStock(service.pool, sku, 10);
      const reservationsBefore = await countRows(service.pool, 'reservations');

      const responses = await Promise.all(
        Array.from({ length: 50 }, () =>
          reserve(service.app, { orderId: newOrderId(), items: [{ sku, quantity: 1 }] }),
        ),
      );

      const statuses = responses.map((response) => response.statusCode);
      expect(statuses.filter((status) => status === 201)).toHaveLength(10);
      const refused = responses.filter((response) => response.statusCode !== 201);
      expect(refused).toHaveLength(40);
      for (const response of refused) expectProblem(response, 409, 'out-of-stock');
      expect(await stockOf(service.pool, sku)).toBe(0);
      expect(await countRows(service.pool, 'reservations')).toBe(reservationsBefore + 10);
      const { rows } = await service.pool.query<{ lines: number; units: number }>(
        'SELECT count(*)::int AS lines, sum(quantity)::int AS units FROM reservation_items WHERE sku = $1',
        [sku],
      );
      expect(rows[0]).toEqual({ lines: 10, units: 10 });
    });

    it('when orders lock the same products in opposite line order, then none deadlocks', async () => {
      const skus = ['SOCKS-STRIPED-39-42', 'SOCKS-STRIPED-43-46', 'COASTER-CORK-4'];
      for (const sku of skus) await setStock(service.pool, sku, 100);
      const responses = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          reserve(service.app, {
            orderId: newOrderId(),
            items: (i % 2 === 0 ? skus : [...skus].reverse()).map((sku) => ({ sku, quantity: 1 })),
          }),
        ),
      );
      expect(responses.map((response) => response.statusCode)).toEqual(Array(30).fill(201));
      for (const sku of skus) expect(await stockOf(service.pool, sku)).toBe(70);
    });

    it('when one line is short, then 409 out-of-stock names it and no line is reserved', async () => {
      await setStock(service.pool, 'HOODIE-GREY-M', 5);
      await setStock(service.pool, 'HOODIE-GREY-L', 1);
      const orderId = newOrderId();
      const reservationsBefore = await countRows(service.pool, 'reservations');

      const response = await reserve(service.app, {
        orderId,
        items: [
          { sku: 'HOODIE-GREY-M', quantity: 2 },
          { sku: 'HOODIE-GREY-L', quantity: 3 },
        ],
      });

      const problem = expectProblem(response, 409, 'out-of-stock');
      expect(problem.detail).toContain('HOODIE-GREY-L');
      expect(problem.detail).not.toContain('HOODIE-GREY-M');
      expect(await stockOf(service.pool, 'HOODIE-GREY-M')).toBe(5);
      expect(await stockOf(service.pool, 'HOODIE-GREY-L')).toBe(1);
      expect(await reservationStatus(service.pool, orderId)).toBeUndefined();
      expect(await countRows(service.pool, 'reservations')).toBe(reservationsBefore);
    });

    it('when the product is sold out, then 409 out-of-stock and the order id stays free', async () => {
      const orderId = newOrderId();
      const soldOut = await reserve(service.app, {
        orderId,
        items: [{ sku: 'TSHIRT-TRACE-L', quantity: 1 }],
      });
      expectProblem(soldOut, 409, 'out-of-stock');
      expect(await stockOf(service.pool, 'TSHIRT-TRACE-L')).toBe(0);

      // Nothing was kept for the refused attempt, so the same order id may try other items.
      const retry = await reserve(service.app, {
        orderId,
        items: [{ sku: 'TSHIRT-TRACE-M', quantity: 1 }],
      });
      expect(retry.statusCode).toBe(201);
    });

    it('when a sku is unknown, then 422 unknown-sku names it and nothing changes', async () => {
      const orderId = newOrderId();
      const stockBefore = await stockOf(service.pool, 'TOTE-CANVAS');
      const response = await reserve(service.app, {
        orderId,
        items: [
          { sku: 'TOTE-CANVAS', quantity: 1 },
          { sku: 'NO-SUCH-SKU', quantity: 1 },
        ],
      });
      const problem = expectProblem(response, 422, 'unknown-sku');
      expect(problem.detail).toContain('NO-SUCH-SKU');
      expect(await stockOf(service.pool, 'TOTE-CANVAS')).toBe(stockBefore);
      expect(await reservationStatus(service.pool, orderId)).toBeUndefined();
    });

    it('when the same order is reserved again with the same items, then 200 with the same reservation and stock taken once', async () => {
      const orderId = newOrderId();
      const items = [
        { sku: 'KEYCHAIN-ENAMEL', quantity: 2 },
        { sku: 'LANYARD-BLACK', quantity: 1 },
      ];
      const first = await reserve(service.app, { orderId, items });
      expect(first.statusCode).toBe(201);

      const again = await reserve(service.app, { orderId, items });
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual(first.json());
      // The same lines in another order, or split, are the same request.
      const reordered = await reserve(service.app, {
        orderId,
        items: [
          { sku: 'LANYARD-BLACK', quantity: 1 },
          { sku: 'KEYCHAIN-ENAMEL', quantity: 1 },
          { sku: 'KEYCHAIN-ENAMEL', quantity: 1 },
        ],
      });
      expect(reordered.statusCode).toBe(200);
      expect(reordered.json()).toEqual(first.json());

      expect(await stockOf(service.pool, 'KEYCHAIN-ENAMEL')).toBe(298);
      expect(await stockOf(service.pool, 'LANYARD-BLACK')).toBe(419);
    });

    it('when the same order id comes with other items, then 409 order-id-reused and nothing changes', async () => {
      const orderId = newOrderId();
      const first = await reserve(service.app, {
        orderId,
        items: [{ sku: 'PENCIL-SET-6', quantity: 1 }],
      });
      expect(first.statusCode).toBe(201);

      for (const items of [
        [{ sku: 'PENCIL-SET-6', quantity: 2 }],
        [{ sku: 'NOTEBOOK-A6-POCKET', quantity: 1 }],
        [
          { sku: 'PENCIL-SET-6', quantity: 1 },
          { sku: 'NOTEBOOK-A6-POCKET', quantity: 1 },
        ],
      ]) {
        expectProblem(await reserve(service.app, { orderId, items }), 409, 'order-id-reused');
      }
      expect(await stockOf(service.pool, 'PENCIL-SET-6')).toBe(139);
      expect(await stockOf(service.pool, 'NOTEBOOK-A6-POCKET')).toBe(320);
      const got = await service.app.inject({ method: 'GET', url: `/reservations/${orderId}` });
      expect(got.json()).toEqual(first.json());
    });

    it('when the same new order is sent twice at once, then stock is taken once', async () => {
      const orderId = newOrderId();
      const items = [{ sku: 'BOTTLE-STEEL-750', quantity: 4 }];
      const responses = await Promise.all([
        reserve(service.app, { orderId, items }),
        reserve(service.app, { orderId, items }),
      ]);
      expect(responses.map((response) => response.statusCode).sort()).toEqual([200, 201]);
      expect(await stockOf(service.pool, 'BOTTLE-STEEL-750')).toBe(86);
    });
  });

  describe('release and commit', () => {
    const reserveOne = async (sku: string, quantity: number) => {
      const orderId = newOrderId();
      const response = await reserve(service.app, { orderId, items: [{ sku, quantity }] });
      expect(response.statusCode).toBe(201);
      return orderId;
    };

    it('when a reservation is released, then its stock comes back, once', async () => {
      const orderId = await reserveOne('NOTEBOOK-A4-GRID', 5);
      expect(await stockOf(service.pool, 'NOTEBOOK-A4-GRID')).toBe(50);

      const released = await post(`/reservations/${orderId}/release`);
      expect(released.statusCode).toBe(200);
      expect(released.json<Reservation>()).toMatchObject({
        orderId,
        status: 'RELEASED',
        items: [{ sku: 'NOTEBOOK-A4-GRID', quantity: 5, unitPriceCents: 1890 }],
      });
      expect(await stockOf(service.pool, 'NOTEBOOK-A4-GRID')).toBe(55);

      const again = await post(`/reservations/${orderId}/release`);
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual(released.json());
      expect(await stockOf(service.pool, 'NOTEBOOK-A4-GRID')).toBe(55);
      expect(await reservationStatus(service.pool, orderId)).toBe('RELEASED');
    });

    it('when a released reservation is committed, then 409 reservation-not-committable', async () => {
      const orderId = await reserveOne('NOTEBOOK-A5-LINED', 1);
      await post(`/reservations/${orderId}/release`);
      expectProblem(
        await post(`/reservations/${orderId}/commit`),
        409,
        'reservation-not-committable',
      );
      expect(await reservationStatus(service.pool, orderId)).toBe('RELEASED');
      expect(await stockOf(service.pool, 'NOTEBOOK-A5-LINED')).toBe(170);
    });

    it('when a reservation is committed, then it stays taken and committing again changes nothing', async () => {
      const orderId = await reserveOne('POSTER-A3-TRACE', 2);
      const committed = await post(`/reservations/${orderId}/commit`);
      expect(committed.statusCode).toBe(200);
      expect(committed.json<Reservation>()).toMatchObject({ orderId, status: 'COMMITTED' });

      const again = await post(`/reservations/${orderId}/commit`);
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual(committed.json());
      expect(await reservationStatus(service.pool, orderId)).toBe('COMMITTED');
      expect(await stockOf(service.pool, 'POSTER-A3-TRACE')).toBe(68);
    });

    it('when a committed reservation is released, then 409 reservation-not-releasable and the stock stays sold', async () => {
      const orderId = await reserveOne('MOUSEPAD-XL', 1);
      await post(`/reservations/${orderId}/commit`);
      expectProblem(
        await post(`/reservations/${orderId}/release`),
        409,
        'reservation-not-releasable',
      );
      expect(await reservationStatus(service.pool, orderId)).toBe('COMMITTED');
      expect(await stockOf(service.pool, 'MOUSEPAD-XL')).toBe(64);
    });

    it.each([
      ['GET', ''],
      ['POST', '/commit'],
    ] as const)(
      'when %s /reservations/:unknown%s, then 404 reservation-not-found',
      async (method, action) => {
        const orderId = newOrderId();
        const response = await service.app.inject({
          method,
          url: `/reservations/${orderId}${action}`,
        });
        expect(expectProblem(response, 404, 'reservation-not-found').detail).toContain(orderId);
      },
    );

    it('when an order id with no reservation is released, then 200 and it is RELEASED with nothing in it, also the second time', async () => {
      const orderId = newOrderId();
      const released = await post(`/reservations/${orderId}/release`);
      expect(released.statusCode).toBe(200);
      expect(released.json<Reservation>()).toEqual({
        orderId,
        status: 'RELEASED',
        expiresAt: expect.any(String),
        items: [],
        totalCents: 0,
        currency: 'EUR',
      });
      const again = await post(`/reservations/${orderId}/release`);
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual(released.json());
      const got = await service.app.inject({ method: 'GET', url: `/reservations/${orderId}` });
      expect(got.json()).toEqual(released.json());
    });

    it('when the release arrives before its reservation, then the late reservation gets 409 reservation-released and holds no stock', async () => {
      const sku = 'STICKER-HOLO';
      const stockBefore = await stockOf(service.pool, sku);
      const orderId = newOrderId();
      // The order service timed out on its reserve call and released; the reserve lands later.
      expect((await post(`/reservations/${orderId}/release`)).statusCode).toBe(200);

      const late = await reserve(service.app, { orderId, items: [{ sku, quantity: 3 }] });

      expect(expectProblem(late, 409, 'reservation-released').detail).toContain(orderId);
      expect(await stockOf(service.pool, sku)).toBe(stockBefore);
      expect(await reservationStatus(service.pool, orderId)).toBe('RELEASED');
      const items = await service.pool.query(
        'SELECT 1 FROM reservation_items WHERE order_id = $1',
        [orderId],
      );
      expect(items.rowCount).toBe(0);
      // Nor can it be confirmed: there is nothing to sell.
      expectProblem(
        await post(`/reservations/${orderId}/commit`),
        409,
        'reservation-not-committable',
      );
    });

    it('when a reservation was released and the same request comes again, then 409 reservation-released and the stock stays back', async () => {
      const sku = 'STICKER-HOLO';
      const stockBefore = await stockOf(service.pool, sku);
      const orderId = newOrderId();
      const items = [{ sku, quantity: 2 }];
      expect((await reserve(service.app, { orderId, items })).statusCode).toBe(201);
      expect((await post(`/reservations/${orderId}/release`)).statusCode).toBe(200);

      expectProblem(await reserve(service.app, { orderId, items }), 409, 'reservation-released');
      expect(await stockOf(service.pool, sku)).toBe(stockBefore);
    });

    it('when reserve and release of the same order race, then whichever wins, no stock stays held', async () => {
      const sku = 'STICKER-HOLO';
      const stockBefore = await stockOf(service.pool, sku);
      for (let round = 0; round < 20; round++) {
        const orderId = newOrderId();
        const [reserved, released] = await Promise.all([
          reserve(service.app, { orderId, items: [{ sku, quantity: 1 }] }),
          post(`/reservations/${orderId}/release`),
        ]);
        expect(released.statusCode).toBe(200);
        expect([201, 409]).toContain(reserved.statusCode);
        expect(await reservationStatus(service.pool, orderId)).toBe('RELEASED');
      }
      expect(await stockOf(service.pool, sku)).toBe(stockBefore);
    });

    it.each([
      ['GET', ''],
      ['POST', '/release'],
      ['POST', '/commit'],
    ] as const)(
      'when %s /reservations/42%s, then 400 invalid-request (not a uuid)',
      async (method, action) => {
        const response = await service.app.inject({ method, url: `/reservations/42${action}` });
        expectProblem(response, 400, 'invalid-request');
      },
    );
  });

  describe('bad input on POST /reservations', () => {
    const sku = 'STICKER-SPAN';
    const valid = () => ({ orderId: newOrderId(), items: [{ sku, quantity: 1 }] });
    const send = (payload: string, contentType = 'application/json') =>
      service.app.inject({
        method: 'POST',
        url: '/reservations',
        headers: { 'content-type': contentType },
        payload,
      });

    let reservationsBefore: number;
    let stockBefore: number | undefined;
    beforeEach(async () => {
      reservationsBefore = await countRows(service.pool, 'reservations');
      stockBefore = await stockOf(service.pool, sku);
    });
    afterEach(async () => {
      expect(await countRows(service.pool, 'reservations')).toBe(reservationsBefore);
      expect(await stockOf(service.pool, sku)).toBe(stockBefore);
    });

    it('when the JSON is malformed, then 400 malformed-json', async () => {
      expectProblem(await send('{"orderId": "x", "items": ['), 400, 'malformed-json');
    });

    it('when the body is empty, then 400 invalid-request', async () => {
      expectProblem(await send(''), 400, 'invalid-request');
    });

    it('when the body is not JSON, then 415 unsupported-media-type', async () => {
      expectProblem(
        await send(JSON.stringify(valid()), 'text/plain'),
        415,
        'unsupported-media-type',
      );
    });

    it.each([
      ['a quantity as a string', { items: [{ sku, quantity: '1' }] }, '/items/0/quantity'],
      ['items as an object', { items: { sku, quantity: 1 } }, '/items'],
      ['an unknown field', { coupon: 'FREE' }, '/coupon'],
      ['an unknown field in a line', { items: [{ sku, quantity: 1, price: 1 }] }, '/items/0/price'],
      ['a zero quantity', { items: [{ sku, quantity: 0 }] }, '/items/0/quantity'],
      ['a negative quantity', { items: [{ sku, quantity: -1 }] }, '/items/0/quantity'],
      ['a fractional quantity', { items: [{ sku, quantity: 1.5 }] }, '/items/0/quantity'],
      ['a quantity over 100', { items: [{ sku, quantity: 101 }] }, '/items/0/quantity'],
      ['no items', { items: [] }, '/items'],
      [
        'more than 20 items',
        { items: Array.from({ length: 21 }, () => ({ sku, quantity: 1 })) },
        '/items',
      ],
      ['a lower-case sku', { items: [{ sku: 'sticker-span', quantity: 1 }] }, '/items/0/sku'],
      ['an order id that is not a uuid', { orderId: 'order-1' }, '/orderId'],
      ['no order id', { orderId: undefined }, '/orderId'],
    ])(
      'when the body has %s, then 400 invalid-request points at it',
      async (_case, change, pointer) => {
        const problem = expectProblem(
          await send(JSON.stringify({ ...valid(), ...change })),
          400,
          'invalid-request',
        ) as { errors?: { pointer: string }[] };
        expect(problem.errors).toEqual(
          expect.arrayContaining([expect.objectContaining({ pointer })]),
        );
      },
    );

    it('when the body is over the limit, then 413 body-too-large', async () => {
      const body = JSON.stringify({ ...valid(), padding: 'x'.repeat(20 * 1024) });
      expectProblem(await send(body), 413, 'body-too-large');
    });
  });
});
