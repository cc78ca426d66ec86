// Breakpoint: more and more visits per second until Mesh no longer meets its objectives (the
// average load's thresholds); the first threshold crossed stops the test. The rate reached by
// then is Mesh's capacity on this machine: on the k6 dashboard, or from the time the test ran,
// START_RATE + (PEAK_RATE - START_RATE) × elapsed / DURATION. Not a test to pass: it ends by
// failing a threshold, or by reaching PEAK_RATE.
//
//   k6 run k6/scenarios/breakpoint.js
//   START_RATE (1 visit/s), PEAK_RATE (100), DURATION (20m), ABORT_DELAY (30s), PRE_VUS (20),
//   MAX_VUS (200)
// Start the gateway with a higher RATE_LIMIT_MAX (k6/README.md), or the limiter is what breaks.
import { envDuration, envNumber } from '../lib/config.js';
import { commonOptions, setupShop, shopperMix, thresholds, visitShop } from '../lib/shop.js';

const START_RATE = envNumber('START_RATE', 1, { min: 0 });
const PEAK_RATE = envNumber('PEAK_RATE', 100, { min: 0.1 });

const mix = shopperMix();

export const options = {
  ...commonOptions(),
  scenarios: {
    breakpoint: {
      executor: 'ramping-arrival-rate',
      startRate: Math.round(START_RATE * 60),
      timeUnit: '1m',
      stages: [{ target: Math.round(PEAK_RATE * 60), duration: envDuration('DURATION', '20m') }],
      preAllocatedVUs: envNumber('PRE_VUS', 20, { min: 1, integer: true }),
      // When Mesh slows down, each visit holds its VU longer; at MAX_VUS k6 stops starting visits
      // (dropped_iterations) rather than exhaust its own memory.
      maxVUs: envNumber('MAX_VUS', 200, { min: 1, integer: true }),
    },
  },
  thresholds: thresholds({ abortOnFail: true, delayAbortEval: envDuration('ABORT_DELAY', '30s') }),
};

export function setup() {
  return setupShop({ peakVisitsPerSecond: PEAK_RATE, mix });
}

export default function (catalogue) {
  visitShop(catalogue, mix);
}
