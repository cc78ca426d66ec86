import { type OrderServiceUnderTest, problemOf, startOrderService } from './support/order-service';

describe('POST /orders with bad input', () => {
  let service: OrderServiceUnderTest;

  beforeAll(async () => {
    service = await startOrderService();
  });
  afterEach(() => service.reset());
  afterAll(() => service.close());

  const line = { sku: 'MUG-BLUE-350', quantity: 1 };
  const valid = { customerId: 'customer-bad-input', items: [line] };
  const skus = Array.from({ length: 21 }, (_, index) => `SKU-${index}`);

  async function expectRefusedWithNothingDone(response: Response, status: number, code: string) {
    expect(response.status).toBe(status);
    expect(await problemOf(response)).toMatchObject({ status, code });
    expect(service.inventory.calls).toHaveLength(0);
    expect(service.payment.calls).toHaveLength(0);
    const { rows } = await service.pool.query('SELECT count(*)::int AS count FROM orders');
    expect(rows[0].count).toBe(0);
  }

  it.each<[string, unknown, string]>([
    [
      'a wrong type',
      { ...valid, items: [{ sku: 'MUG-BLUE-350', quantity: '1' }] },
      '/items/0/quantity',
    ],
    ['a customer id that is a number', { ...valid, customerId: 42 }, '/customerId'],
    ['an unknown field', { ...valid, coupon: 'FREE' }, '/coupon'],
    ['an unknown field in a line', { ...valid, items: [{ ...line, price: 1 }] }, '/items/0/price'],
    ['quantity 0', { ...valid, items: [{ ...line, quantity: 0 }] }, '/items/0/quantity'],
    ['quantity -1', { ...valid, items: [{ ...line, quantity: -1 }] }, '/items/0/quantity'],
    [
      'a fractional quantity',
      { ...valid, items: [{ ...line, quantity: 1.5 }] },
      '/items/0/quantity',
    ],
    ['no lines', { ...valid, items: [] }, '/items'],
    ['21 lines', { ...valid, items: skus.map((sku) => ({ sku, quantity: 1 })) }, '/items'],
    ['a malformed SKU', { ...valid, items: [{ ...line, sku: 'mug blue' }] }, '/items/0/sku'],
    ['a missing customer', { items: [line] }, '/customerId'],
    ['a repeated SKU', { ...valid, items: [line, { ...line, quantity: 2 }] }, '/items/1/sku'],
  ])(
    'when the body has %s, then 400 invalid-request points at it',
    async (_case, body, pointer) => {
      const response = await service.placeOrder(body);
      expect(response.status).toBe(400);
      const problem = await problemOf(response.clone());
      expect(problem.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ pointer })]),
      );
      await expectRefusedWithNothingDone(response, 400, 'invalid-request');
    },
  );

  it('when the JSON is malformed, then 400 malformed-json', async () => {
    await expectRefusedWithNothingDone(
      await service.placeOrder('{"customerId": "c-1", "items": ['),
      400,
      'malformed-json',
    );
  });

  it('when there is no body, then 400 invalid-request', async () => {
    const response = await fetch(`${service.url}/orders`, { method: 'POST' });
    await expectRefusedWithNothingDone(response, 400, 'invalid-request');
  });

  it('when the body is not JSON, then 415 unsupported-media-type', async () => {
    await expectRefusedWithNothingDone(
      await service.placeOrder('customerId=c-1', { 'content-type': 'text/plain' }),
      415,
      'unsupported-media-type',
    );
  });

  it('when the body is larger than the limit, then 413 body-too-large', async () => {
    const body = JSON.stringify({ ...valid, padding: 'x'.repeat(20_000) });
    await expectRefusedWithNothingDone(await service.placeOrder(body), 413, 'body-too-large');
  });

  it.each([
    ['has a space', 'key with spaces'],
    ['is too long', 'k'.repeat(129)],
    ['is empty', ''],
  ])('when the Idempotency-Key %s, then 400 invalid-request', async (_case, key) => {
    const response = await service.placeOrder(valid, { 'idempotency-key': key });
    const problem = await problemOf(response.clone());
    expect(problem.errors).toEqual([
      expect.objectContaining({ pointer: 'headers:/idempotency-key' }),
    ]);
    await expectRefusedWithNothingDone(response, 400, 'invalid-request');
  });

  it.each([
    ['x-mesh-order-id', 'not-a-uuid'],
    ['x-mesh-deadline-ms', '0'],
    ['x-mesh-deadline-ms', '-5'],
    ['x-mesh-deadline-ms', 'soon'],
  ])('when the header %s is %p, then 400 invalid-request', async (header, value) => {
    const response = await service.placeOrder(valid, { [header]: value });
    const problem = await problemOf(response.clone());
    expect(problem.errors).toEqual([expect.objectContaining({ pointer: `headers:/${header}` })]);
    await expectRefusedWithNothingDone(response, 400, 'invalid-request');
  });

  it('when the route does not exist, then 404 route-not-found', async () => {
    const response = await fetch(`${service.url}/orders/${'0'.repeat(8)}/cancel`, {
      method: 'POST',
    });
    await expectRefusedWithNothingDone(response, 404, 'route-not-found');
  });
});
