import { setTimeout as sleep } from 'node:timers/promises';
import { ALWAYS_DECLINED_CUSTOMER, type ChargeRequest } from '@mesh/contracts';

export type ProcessorResult = { approved: true } | { approved: false; reason: string };

/** The card processor as the payment use cases see it; the simulation below stands in for one. */
export interface PaymentProcessor {
  charge(request: ChargeRequest): Promise<ProcessorResult>;
}

export interface SimulatedProcessorSettings {
  latencyMs: number;
  /** The latency varies uniformly within latencyMs ± jitterMs (never below 0). */
  jitterMs: number;
  /** Share of charges declined for insufficient funds, 0..1. */
  declineRate: number;
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
    const { latencyMs, jitterMs, declineRate } = this.settings;
    const delay = Math.max(0, latencyMs + (this.random() * 2 - 1) * jitterMs);
    if (delay > 0) await sleep(delay);
    if (request.customerId === ALWAYS_DECLINED_CUSTOMER) {
      return { approved: false, reason: 'card-declined' };
    }
    if (this.random() < declineRate) return { approved: false, reason: 'insufficient-funds' };
    return { approved: true };
  }
}
