import type { SearchSettings } from './step-search';

export interface Profile {
  name: 'short' | 'full';
  /** Interleaved on/off pairs. */
  pairs: number;
  /** Load before measuring, so JIT, pools and connections are warm. */
  warmup: { rate: number; seconds: number };
  search: SearchSettings;
  /** Length of each search step. */
  stepSeconds: number;
  /** Pause after a failed step, so the next one does not start on its backlog. */
  cooldownSeconds: number;
  /** Length of the measurement at the sustained rate (cost, lag, spans) and at half of it. */
  measureSeconds: number;
  /**
   * Waits after the load for the batch processors' last export (every 5 s) before the services
   * stop and flush the rest.
   */
  settleSeconds: number;
  /** What each part of the telemetry costs: every variant at one fixed rate, per round. */
  instrumentation: { rounds: number; rate: number; measureSeconds: number };
  /** Where the CPU goes: each profiled variant at one fixed rate, per round. */
  cpuProfile: { rounds: number; rate: number; measureSeconds: number };
  /**
   * How cost grows: consumers at a fixed rate with each count of instances per group, and the
   * sustained rate with each count of order instances.
   */
  scaling: {
    consumerInstances: number[];
    consumerRate: number;
    consumerSeconds: number;
    orderInstances: number[];
  };
}

const OBJECTIVE = { p99LimitMs: 250, maxFailedShare: 0.01 };

export const PROFILES: Record<Profile['name'], Profile> = {
  // Proves the benchmark runs end to end in a couple of minutes; its numbers mean nothing.
  short: {
    name: 'short',
    pairs: 1,
    warmup: { rate: 5, seconds: 3 },
    search: { start: 10, growth: 2, maxRate: 20, minRate: 5, refinements: 0, ...OBJECTIVE },
    stepSeconds: 4,
    cooldownSeconds: 2,
    measureSeconds: 4,
    settleSeconds: 7,
    instrumentation: { rounds: 1, rate: 8, measureSeconds: 4 },
    cpuProfile: { rounds: 1, rate: 8, measureSeconds: 4 },
    scaling: { consumerInstances: [2], consumerRate: 8, consumerSeconds: 4, orderInstances: [2] },
  },
  full: {
    name: 'full',
    pairs: 3,
    warmup: { rate: 20, seconds: 10 },
    search: { start: 40, growth: 1.5, maxRate: 400, minRate: 5, refinements: 2, ...OBJECTIVE },
    stepSeconds: 15,
    cooldownSeconds: 15,
    measureSeconds: 20,
    settleSeconds: 7,
    // One rate for every variant, near the sustained rate with telemetry on: cost under real load.
    instrumentation: { rounds: 3, rate: 25, measureSeconds: 15 },
    // The instrumentation experiment's rate, so the two sections' figures compare.
    cpuProfile: { rounds: 2, rate: 25, measureSeconds: 20 },
    // One message at a time, one notification instance falls behind at this rate.
    scaling: {
      consumerInstances: [1, 2, 3],
      consumerRate: 25,
      consumerSeconds: 30,
      orderInstances: [1, 2],
    },
  },
};
