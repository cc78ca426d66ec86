import { randomUUID } from 'node:crypto';
import { ALWAYS_DECLINED_CUSTOMER } from '@mesh/contracts';
import {
  type CountingProcessor,
  chargeRequest,
  countingProcessor,
  expectProblem,
  type PaymentTestApp,
  startPaymentApp,
} from './support/payment-app';

describe('POST /payments', () => {
  let app: PaymentTestApp;
  let processor: CountingProcessor;

  beforeAll(async () => {
    // A little latency, so that racing requests really overlap the processor call.
    processor = countingProcessor({ latencyMs: 40, jitterMs: 10 });
    app = await startPaymentApp({ processor });
  });
  afterAll(() => app.stop());

  it('when an order is charged, then 201 CHARGED, one row, processor called once', async () => {
    const request = chargeRequest();
    const { status, body } = await app.charge(request);

    expect(status).toBe(201);
    expect(body).toMatchObject({ ...request, status: 'CHARGED' });
    expect(body.declineReason).toBeUndefined();
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(body.createdAt)).not.toBeNaN();
    const rows = await app.rowsOf(request.orderId);
    expect(rows).toEqual([
      expect.objectContaining({ id: body.id, status: 'CHARGED', amount_cents: '2500' }),
    ]);
    expect(processor.callsFor(request.orderId)).toBe(1);
  });

  it('when the same charge is posted again, then 200 with the same payment id, processor still called once', async () => {
    const request = chargeRequest();
    const first = await app.charge(request);
    const second = await app.charge(request);

    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(await app.rowsOf(request.orderId)).toHaveLength(1);
    expect(processor.callsFor(request.orderId)).toBe(1);
  });

  it('when 10 identical charges race in parallel, then one processor call and one row, and every answer agrees', async () => {
    const request = chargeRequest();
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => app.post('/payments', request)),
    );
    const answers = await Promise.all(
      responses.map(async (response) => ({
        status: response.status,
        body: (await response.json()) as { id?: string; code?: string; status?: string },
      })),
    );

    expect(processor.callsFor(request.orderId)).toBe(1);
    const rows = await app.rowsOf(request.orderId);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.status).toBe('CHARGED');
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    for (const answer of answers) {
      if (answer.status === 409) {
        expect(answer.body.code).toBe('payment-in-progress');
      } else {
        expect([200, 201]).toContain(answer.status);
        expect(answer.body).toMatchObject({ id: rows[0]?.id, status: 'CHARGED' });
      }
    }
  });

  it.each([
    ['another amount', { amountCents: 9_999 }],
    ['another customer', { customerId: 'someone-else' }],
  ])('when the same order id comes with %s, then 409 order-id-reused', async (_case, change) => {
    const request = chargeRequest();
    expect((await app.charge(request)).status).toBe(201);

    await expectProblem(
      await app.post('/payments', { ...request, ...change }),
      409,
      'order-id-reused',
    );
    const rows = await app.rowsOf(request.orderId);
    expect(rows).toEqual([expect.objectContaining({ amount_cents: '2500', status: 'CHARGED' })]);
    expect(processor.callsFor(request.orderId)).toBe(1);
  });

  it('when the customer is ALWAYS_DECLINED_CUSTOMER, then 201 DECLINED with a decline reason', async () => {
    const request = chargeRequest({ customerId: ALWAYS_DECLINED_CUSTOMER });
    const { status, body } = await app.charge(request);

    expect(status).toBe(201);
    expect(body).toMatchObject({ status: 'DECLINED', declineReason: 'card-declined' });
    expect(await app.rowsOf(request.orderId)).toEqual([
      expect.objectContaining({ status: 'DECLINED', decline_reason: 'card-declined' }),
    ]);

    const again = await app.charge(request);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(body);
    expect(processor.callsFor(request.orderId)).toBe(1);
  });

  describe('bad input', () => {
    const valid = chargeRequest();
    it.each<[string, string, string]>([
      ['malformed JSON', '{"orderId": "x",', 'malformed-json'],
      ['a wrong type', JSON.stringify({ ...valid, amountCents: '2500' }), 'invalid-request'],
      ['an unknown field', JSON.stringify({ ...valid, tip: 100 }), 'invalid-request'],
      ['a missing field', JSON.stringify({ ...valid, currency: undefined }), 'invalid-request'],
      ['a negative amount', JSON.stringify({ ...valid, amountCents: -1 }), 'invalid-request'],
      ['a zero amount', JSON.stringify({ ...valid, amountCents: 0 }), 'invalid-request'],
      ['a fractional amount', JSON.stringify({ ...valid, amountCents: 1.5 }), 'invalid-request'],
      ['a non-uuid orderId', JSON.stringify({ ...valid, orderId: 'order-1' }), 'invalid-request'],
      ['another currency', JSON.stringify({ ...valid, currency: 'USD' }), 'invalid-request'],
      ['an empty body', '', 'invalid-request'],
    ])(
      'when the body has %s, then 400 %s, no row and no processor call',
      async (_case, body, code) => {
        const rowsBefore = await app.countRows();
        const callsBefore = processor.calls.length;

        const response = await fetch(`${app.base}/payments`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });

        await expectProblem(response, 400, code);
        expect(await app.countRows()).toBe(rowsBefore);
        expect(processor.calls.length).toBe(callsBefore);
      },
    );

    it('when an invalid field is sent, then the problem points at it', async () => {
      const problem = await expectProblem(
        await app.post('/payments', { ...valid, amountCents: 0 }),
        400,
        'invalid-request',
      );
      expect(problem.errors).toEqual([expect.objectContaining({ pointer: '/amountCents' })]);
    });

    it('when the body is not JSON, then 415 and no row', async () => {
      const rowsBefore = await app.countRows();
      const response = await fetch(`${app.base}/payments`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify(valid),
      });
      await expectProblem(response, 415, 'unsupported-media-type');
      expect(await app.countRows()).toBe(rowsBefore);
    });
  });
});

describe('GET /payments/:orderId', () => {
  let app: PaymentTestApp;

  beforeAll(async () => {
    app = await startPaymentApp({ processor: countingProcessor() });
  });
  afterAll(() => app.stop());

  it('when the order has no payment, then 404 payment-not-found', async () => {
    const response = await fetch(`${app.base}/payments/${randomUUID()}`);
    await expectProblem(response, 404, 'payment-not-found');
  });

  it('when the order was charged, then its payment', async () => {
    const charged = await app.charge(chargeRequest());
    const response = await fetch(`${app.base}/payments/${charged.body.orderId}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(charged.body);
  });

  it('when the order id is not a uuid, then 400 invalid-request', async () => {
    await expectProblem(await fetch(`${app.base}/payments/42`), 400, 'invalid-request');
  });

  it('when /healthz and /readyz are asked, then both are fine', async () => {
    expect((await fetch(`${app.base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${app.base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { postgres: 'ok', redis: 'ok' },
    });
  });
});
