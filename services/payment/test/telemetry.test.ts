import { ALWAYS_DECLINED_CUSTOMER } from '@mesh/contracts';
import { startInMemoryTelemetry } from '@mesh/telemetry-testing';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  chargeRequest,
  countingProcessor,
  type PaymentTestApp,
  startPaymentApp,
} from './support/payment-app';

describe('payment telemetry', () => {
  // Before the app is built, so its tracer and meter are the in-memory SDK's.
  const telemetry = startInMemoryTelemetry();
  let app: PaymentTestApp;

  beforeAll(async () => {
    app = await startPaymentApp({ processor: countingProcessor() });
  });
  afterEach(() => telemetry.reset());
  afterAll(async () => {
    await app.stop();
    await telemetry.shutdown();
  });

  const spansOf = async (orderId: string) =>
    (await telemetry.spans()).filter((span) => span.attributes['mesh.order.id'] === orderId);

  it('when a charge is declined, then the processor CLIENT span is an error of type payment-declined under the charge span', async () => {
    const request = chargeRequest({ customerId: ALWAYS_DECLINED_CUSTOMER, amountCents: 700 });
    expect((await app.charge(request)).body.status).toBe('DECLINED');

    const spans = await spansOf(request.orderId);
    const charge = spans.find((span) => span.name === 'charge payment');
    const processor = spans.find((span) => span.name === 'payment-processor charge');

    expect(processor?.kind).toBe(SpanKind.CLIENT);
    expect(processor?.status.code).toBe(SpanStatusCode.ERROR);
    expect(processor?.attributes).toMatchObject({
      'error.type': 'payment-declined',
      'mesh.payment.amount_cents': 700,
      'mesh.payment.status': 'DECLINED',
    });
    expect(processor?.events).toEqual([
      expect.objectContaining({
        name: 'declined',
        attributes: { 'mesh.payment.decline_reason': 'card-declined' },
      }),
    ]);

    // The use case itself succeeded: a decline is an answer.
    expect(charge?.kind).toBe(SpanKind.INTERNAL);
    expect(charge?.status.code).toBe(SpanStatusCode.UNSET);
    expect(charge?.attributes).toMatchObject({ 'mesh.payment.status': 'DECLINED' });
    // Customer ids are personal data: never on a span.
    expect(charge?.attributes).not.toHaveProperty('mesh.customer.id');
    expect(processor?.parentSpanContext?.spanId).toBe(charge?.spanContext().spanId);
  });

  it('when a charge is approved, then the processor span is not an error', async () => {
    const request = chargeRequest();
    await app.charge(request);
    const processor = (await spansOf(request.orderId)).find(
      (span) => span.name === 'payment-processor charge',
    );
    expect(processor?.status.code).toBe(SpanStatusCode.UNSET);
    expect(processor?.attributes['mesh.payment.status']).toBe('CHARGED');
  });

  it('when a charged payment is voided, then the void span records the refund', async () => {
    const request = chargeRequest({ amountCents: 1_234 });
    await app.charge(request);
    await app.post(`/payments/${request.orderId}/void`);

    const voidSpan = (await spansOf(request.orderId)).find((span) => span.name === 'void payment');
    expect(voidSpan?.events.map((event) => event.name)).toEqual(['voided', 'refund']);
    expect(voidSpan?.events[1]?.attributes).toMatchObject({ 'mesh.payment.amount_cents': 1_234 });
  });

  it('when payments are made, then mesh.payments counts them by status and mesh.payment.duration times the processor', async () => {
    await app.charge(chargeRequest({ customerId: ALWAYS_DECLINED_CUSTOMER }));
    const collected = await telemetry.collectMetrics();
    const all = collected.flatMap((resource) =>
      resource.scopeMetrics.flatMap((scope) => scope.metrics),
    );
    const counter = all.find((metric) => metric.descriptor.name === 'mesh.payments');
    const duration = all.find((metric) => metric.descriptor.name === 'mesh.payment.duration');

    const declined = counter?.dataPoints.find(
      (point) => point.attributes['mesh.payment.status'] === 'DECLINED',
    );
    expect(declined?.value).toBeGreaterThanOrEqual(2);
    expect(duration?.descriptor.unit).toBe('s');
    expect(
      duration?.dataPoints.map((point) => point.attributes['mesh.payment.status']).sort(),
    ).toEqual(['CHARGED', 'DECLINED']);
  });
});
