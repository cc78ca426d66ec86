import { randomUUID } from 'node:crypto';
import type { ChargeRequest, Payment } from '@mesh/contracts';
import type { PaymentProcessor, ProcessorResult } from '../src/processor/payment-processor';
import {
  CountingProcessor,
  chargeRequest,
  countingProcessor,
  expectProblem,
  type PaymentTestApp,
  startPaymentApp,
} from './support/payment-app';

/** A processor that holds a charge until the test lets it answer. */
class GatedProcessor implements PaymentProcessor {
  private arrived: () => void = () => {};
  private answer: (result: ProcessorResult) => void = () => {};
  readonly called = new Promise<void>((resolve) => {
    this.arrived = resolve;
  });

  charge(_request: ChargeRequest): Promise<ProcessorResult> {
    this.arrived();
    return new Promise((resolve) => {
      this.answer = resolve;
    });
  }

  approve(): void {
    this.answer({ approved: true });
  }
}

/** Routes each charge to the gated processor when one is set, else to the quick one. */
class SwitchableProcessor implements PaymentProcessor {
  gate: GatedProcessor | undefined;
  constructor(private readonly quick: PaymentProcessor) {}
  charge(request: ChargeRequest): Promise<ProcessorResult> {
    return (this.gate ?? this.quick).charge(request);
  }
}

describe('POST /payments/:orderId/void', () => {
  let app: PaymentTestApp;
  let processor: CountingProcessor;
  let switchable: SwitchableProcessor;

  beforeAll(async () => {
    switchable = new SwitchableProcessor(countingProcessor());
    processor = new CountingProcessor(switchable);
    app = await startPaymentApp({ processor });
  });
  afterEach(() => {
    switchable.gate = undefined;
  });
  afterAll(() => app.stop());

  const voidOf = async (orderId: string) => {
    const response = await app.post(`/payments/${orderId}/void`);
    return { status: response.status, body: (await response.json()) as Payment };
  };

  it('when an order is voided before it is charged, then a later charge returns VOIDED and the processor is not called', async () => {
    const request = chargeRequest();
    const voided = await voidOf(request.orderId);
    expect(voided.status).toBe(200);
    expect(voided.body).toMatchObject({ orderId: request.orderId, status: 'VOIDED' });

    const late = await app.charge(request);
    expect(late.status).toBe(200);
    expect(late.body).toEqual(voided.body);
    expect(processor.callsFor(request.orderId)).toBe(0);
    expect(await app.rowsOf(request.orderId)).toEqual([
      expect.objectContaining({ status: 'VOIDED', customer_id: 'unknown', amount_cents: '0' }),
    ]);
  });

  it('when a charged payment is voided, then it is VOIDED; voiding twice is fine', async () => {
    const request = chargeRequest();
    const charged = await app.charge(request);
    expect(charged.body.status).toBe('CHARGED');

    const first = await voidOf(request.orderId);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      id: charged.body.id,
      status: 'VOIDED',
      amountCents: request.amountCents,
    });
    const second = await voidOf(request.orderId);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);

    expect(await app.rowsOf(request.orderId)).toEqual([
      expect.objectContaining({ id: charged.body.id, status: 'VOIDED' }),
    ]);
    const again = await app.charge(request);
    expect(again).toEqual({ status: 200, body: first.body });
    expect(processor.callsFor(request.orderId)).toBe(1);
  });

  it('when a declined payment is voided, then it stays DECLINED', async () => {
    const request = chargeRequest({ customerId: 'customer-declined' });
    const declined = await app.charge(request);
    expect(declined.body.status).toBe('DECLINED');

    const voided = await voidOf(request.orderId);
    expect(voided).toEqual({ status: 200, body: declined.body });
  });

  it('when a payment is voided while the processor charges it, then the charge answers VOIDED and the row stays VOIDED', async () => {
    const gate = new GatedProcessor();
    switchable.gate = gate;
    const request = chargeRequest();

    const charging = app.charge(request);
    await gate.called;
    expect(await app.rowsOf(request.orderId)).toEqual([
      expect.objectContaining({ status: 'PENDING' }),
    ]);
    const voided = await voidOf(request.orderId);
    expect(voided.body.status).toBe('VOIDED');
    gate.approve();

    const charged = await charging;
    expect(charged.status).toBe(200);
    expect(charged.body).toMatchObject({ id: voided.body.id, status: 'VOIDED' });
    expect(await app.rowsOf(request.orderId)).toEqual([
      expect.objectContaining({ status: 'VOIDED' }),
    ]);
    expect(processor.callsFor(request.orderId)).toBe(1);
  });

  it('when a charge is in flight, then it holds the order lock and a second charge is 409 payment-in-progress', async () => {
    const gate = new GatedProcessor();
    switchable.gate = gate;
    const request = chargeRequest();

    const charging = app.charge(request);
    await gate.called;
    expect(await app.lockHeld(request.orderId)).toBe(true);
    await expectProblem(await app.post('/payments', request), 409, 'payment-in-progress');
    gate.approve();

    expect((await charging).status).toBe(201);
    expect(await app.lockHeld(request.orderId)).toBe(false);
    expect(processor.callsFor(request.orderId)).toBe(1);
  });

  it('when the order id is not a uuid, then 400 invalid-request and no row', async () => {
    const before = await app.countRows();
    await expectProblem(await app.post('/payments/nope/void'), 400, 'invalid-request');
    expect(await app.countRows()).toBe(before);
  });

  it('when an unknown order is voided twice, then one tombstone', async () => {
    const orderId = randomUUID();
    const [first, second] = await Promise.all([voidOf(orderId), voidOf(orderId)]);
    expect(first.body).toEqual(second.body);
    expect(await app.rowsOf(orderId)).toHaveLength(1);
  });
});
