import { setTimeout as sleep } from 'node:timers/promises';
import { ALWAYS_DECLINED_CUSTOMER, type ChargeRequest } from '@mesh/contracts';
import type { Faults } from '@mesh/service-kit';

export type ProcessorResult = { approved: true } | { approved: false; reason: string };

/** The card processor as the payment use cases see it; the simulation below stands in for one. */
export interface PaymentProcessor {
  charge(request: ChargeRequest): Promise<ProcessorResult>;
}

/** A number fixed at start, or read at each charge (a workshop fault flag can change it). */
export type Dial = number | (() => Promise<number>);

export interface SimulatedProcessorSettings {
  latencyMs: Dial;
  /** The latency varies uniformly within latencyMs ± jitterMs (never below 0). */
  jitterMs: number;
  /** Share of charges declined for insufficient funds, 0..1. */
  declineRate: Dial;
  /** Defaults to Math.random; tests may pin it. */
  random?: () => number;
}

/**
 * A processor that takes its time and sometimes says no, so that traces show a realistic slow
 * hop and orders can fail payment. ALWAYS_DECLINED_CUSTOMER is its test card: always declined.
 */
export class SimulatedPaymentProcessor implements PaymentProcessor {
  private readonly random: () => number;

  constructor(private readonly settings: SimulatedProcessorSettings) {
    this.random = settings.random ?? Math.random;
  }

  async charge(request: ChargeRequest): Promise<ProcessorResult> {
    const { jitterMs } = this.settings;
    const [latencyMs, declineRate] = await Promise.all([
      read(this.settings.latencyMs),
      read(this.settings.declineRate),
    ]);
    const delay = Math.max(0, latencyMs + (this.random() * 2 - 1) * jitterMs);
    if (delay > 0) await sleep(delay);
    if (request.customerId === ALWAYS_DECLINED_CUSTOMER) {
      return { approved: false, reason: 'card-declined' };
    }
    if (this.random() < declineRate) return { approved: false, reason: 'insufficient-funds' };
    return { approved: true };
  }
}

function read(dial: Dial): Promise<number> {
  return typeof dial === 'number' ? Promise.resolve(dial) : dial();
}

/**
 * The simulated processor of a running service: the settings are the defaults of the workshop
 * faults payment-latency-ms and payment-decline-rate, which override them while switched on.
 */
export function simulatedProcessorWithFaults(
  settings: { latencyMs: number; jitterMs: number; declineRate: number },
  faults: Faults,
): SimulatedPaymentProcessor {
  return new SimulatedPaymentProcessor({
    latencyMs: () => faults.number('payment-latency-ms', settings.latencyMs),
    jitterMs: settings.jitterMs,
    declineRate: () => faults.number('payment-decline-rate', settings.declineRate),
  });
}
