import { type Faults, startFaults } from '@mesh/service-kit';
import { startInMemoryTelemetry } from '@mesh/telemetry-testing';
import { eventually, flagFileCopy } from '@mesh/testkit';
import { SpanStatusCode } from '@opentelemetry/api';
import { simulatedProcessorWithFaults } from '../src/processor/payment-processor';
import {
  CountingProcessor,
  chargeRequest,
  type PaymentTestApp,
  silentLogger,
  startPaymentApp,
} from './support/payment-app';

/*
 * The payment faults as a learner finds them: switched in the flag file while the service runs,
 * then seen on the processor's CLIENT span.
 */
describe('payment faults', () => {
  const telemetry = startInMemoryTelemetry();
  const flags = flagFileCopy();
  let faults: Faults;
  let app: PaymentTestApp;

  beforeAll(async () => {
    faults = await startFaults({ file: flags.file, logger: silentLogger });
    const processor = simulatedProcessorWithFaults(
      { latencyMs: 5, jitterMs: 0, declineRate: 0 },
      faults,
    );
    app = await startPaymentApp({ processor: new CountingProcessor(processor) });
  });
  afterEach(() => telemetry.reset());
  afterAll(async () => {
    await app.stop();
    await faults.close();
    await telemetry.shutdown();
  });

  const processorSpanOf = async (orderId: string) => {
    const spans = await telemetry.spans();
    const span = spans.find(
      (candidate) =>
        candidate.name === 'payment-processor charge' &&
        candidate.attributes['mesh.order.id'] === orderId,
    );
    if (!span) throw new Error(`no processor span for ${orderId}`);
    return span;
  };
  const durationMs = (span: { duration: [number, number] }) =>
    span.duration[0] * 1_000 + span.duration[1] / 1e6;

  it('when payment-latency-ms is switched on, then the processor span lasts 800 ms, and back to the setting when off', async () => {
    const before = chargeRequest();
    await app.charge(before);
    expect(durationMs(await processorSpanOf(before.orderId))).toBeLessThan(300);

    flags.switchTo('payment-latency-ms', 'on');
    await eventually(
      async () => ((await faults.number('payment-latency-ms', 5)) === 800 ? true : undefined),
      'the latency fault to be read',
    );
    const slow = chargeRequest();
    await app.charge(slow);
    expect(durationMs(await processorSpanOf(slow.orderId))).toBeGreaterThanOrEqual(790);

    flags.switchTo('payment-latency-ms', null);
    await eventually(
      async () => ((await faults.number('payment-latency-ms', 5)) === 5 ? true : undefined),
      'the latency fault to be off',
    );
    const after = chargeRequest();
    await app.charge(after);
    expect(durationMs(await processorSpanOf(after.orderId))).toBeLessThan(300);
  }, 60_000);

  it('when payment-decline-rate is switched to all, then every processor span is a payment-declined error', async () => {
    flags.switchTo('payment-decline-rate', 'all');
    await eventually(
      async () => ((await faults.number('payment-decline-rate', 0)) === 1 ? true : undefined),
      'the decline fault to be read',
    );
    const requests = [chargeRequest(), chargeRequest(), chargeRequest()];
    for (const request of requests) {
      expect((await app.charge(request)).body.status).toBe('DECLINED');
      const span = await processorSpanOf(request.orderId);
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes['error.type']).toBe('payment-declined');
      expect(span.events[0]?.attributes).toEqual({
        'mesh.payment.decline_reason': 'insufficient-funds',
      });
    }

    flags.switchTo('payment-decline-rate', null);
    await eventually(
      async () => ((await faults.number('payment-decline-rate', 0)) === 0 ? true : undefined),
      'the decline fault to be off',
    );
    const after = chargeRequest();
    expect((await app.charge(after)).body.status).toBe('CHARGED');
  }, 60_000);
});
