/** What one step of load showed. */
export interface StepOutcome {
  rate: number;
  p99Ms: number;
  /** Share of requests without a 2xx answer (errors, time-outs, 5xx), 0..1. */
  failedShare: number;
}

export interface SearchSettings {
  /** The first rate tried (orders/s). */
  start: number;
  /** Each rate is the previous one times this while steps pass. */
  growth: number;
  /** Never offered more than this. */
  maxRate: number;
  /** When the first step fails the rate is halved down to this before giving up. */
  minRate: number;
  /** Bisections between the last passing and the first failing rate. */
  refinements: number;
  /** The latency objective: p99 strictly below it. */
  p99LimitMs: number;
  /** The most failed requests a passing step may have, 0..1. */
  maxFailedShare: number;
}

export interface SearchResult {
  /** The highest rate that passed; 0 when even the first failed. */
  sustained: number;
  steps: StepOutcome[];
}

export function passes(outcome: StepOutcome, settings: SearchSettings): boolean {
  return outcome.p99Ms < settings.p99LimitMs && outcome.failedShare <= settings.maxFailedShare;
}

/**
 * `probe`, pausing `cooldownMs` after a step that failed: an overloaded step leaves queues
 * behind (requests in flight, consumer lag, pool waiters), and the next, gentler step would
 * otherwise be measured while they drain.
 */
export function withCooldown(
  settings: SearchSettings,
  cooldownMs: number,
  probe: (rate: number) => Promise<StepOutcome>,
): (rate: number) => Promise<StepOutcome> {
  return async (rate) => {
    const outcome = await probe(rate);
    if (!passes(outcome, settings)) await new Promise((resolve) => setTimeout(resolve, cooldownMs));
    return outcome;
  };
}

/**
 * The highest arrival rate meeting the objective, found by growing the rate geometrically until
 * a step fails (or the cap is reached), then bisecting between the last pass and the first fail.
 * When the first step already fails, the rate is halved until one passes (or the floor failed
 * too) before bisecting. Rates are whole orders per second. `probe` runs one step at a rate.
 */
export async function searchSustainedRate(
  settings: SearchSettings,
  probe: (rate: number) => Promise<StepOutcome>,
): Promise<SearchResult> {
  const steps: StepOutcome[] = [];
  const run = async (rate: number) => {
    const outcome = await probe(rate);
    steps.push(outcome);
    return passes(outcome, settings);
  };

  let passed = 0;
  let failed: number | undefined;
  let rate = Math.min(Math.round(settings.start), settings.maxRate);
  for (;;) {
    if (!(await run(rate))) {
      failed = rate;
      break;
    }
    passed = rate;
    if (rate >= settings.maxRate) break;
    rate = Math.min(settings.maxRate, Math.max(rate + 1, Math.round(rate * settings.growth)));
  }
  while (passed === 0 && failed !== undefined && failed > settings.minRate) {
    const lower = Math.max(settings.minRate, Math.floor(failed / 2));
    if (await run(lower)) passed = lower;
    else failed = lower;
  }
  for (let i = 0; i < settings.refinements && failed !== undefined && passed > 0; i++) {
    const middle = Math.round((passed + failed) / 2);
    if (middle <= passed || middle >= failed) break;
    if (await run(middle)) passed = middle;
    else failed = middle;
  }
  return { sustained: passed, steps };
}
