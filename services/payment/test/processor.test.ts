import { ALWAYS_DECLINED_CUSTOMER } from '@mesh/contracts';
import { SimulatedPaymentProcessor } from '../src/processor/payment-processor';
import { chargeRequest } from './support/payment-app';

describe('SimulatedPaymentProcessor', () => {
  it('when the customer is ALWAYS_DECLINED_CUSTOMER, then it declines with card-declined', async () => {
    const processor = new SimulatedPaymentProcessor({ latencyMs: 0, jitterMs: 0, declineRate: 0 });
    await expect(
      processor.charge(chargeRequest({ customerId: ALWAYS_DECLINED_CUSTOMER })),
    ).resolves.toEqual({ approved: false, reason: 'card-declined' });
  });

  it('when the decline rate is 1, then it declines with insufficient-funds; at 0 it approves', async () => {
    const always = new SimulatedPaymentProcessor({ latencyMs: 0, jitterMs: 0, declineRate: 1 });
    const never = new SimulatedPaymentProcessor({ latencyMs: 0, jitterMs: 0, declineRate: 0 });
    await expect(always.charge(chargeRequest())).resolves.toEqual({
      approved: false,
      reason: 'insufficient-funds',
    });
    await expect(never.charge(chargeRequest())).resolves.toEqual({ approved: true });
  });

  it('when the random draw is below the decline rate, then it declines, else approves', async () => {
    const draw = (value: number) =>
      new SimulatedPaymentProcessor({
        latencyMs: 0,
        jitterMs: 0,
        declineRate: 0.3,
        random: () => value,
      });
    await expect(draw(0.29).charge(chargeRequest())).resolves.toMatchObject({ approved: false });
    await expect(draw(0.3).charge(chargeRequest())).resolves.toEqual({ approved: true });
  });

  it('when latency and jitter are set, then it answers within latency ± jitter', async () => {
    const slowest = new SimulatedPaymentProcessor({
      latencyMs: 60,
      jitterMs: 40,
      declineRate: 0,
      random: () => 0.999,
    });
    const started = performance.now();
    await slowest.charge(chargeRequest());
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(95);
    expect(took).toBeLessThan(400);
  });
});
