// Spike: a quiet shop, then ten times the average load within seconds (a sale, a link on a
// front page), then quiet again. Does Mesh survive the burst and recover once it has passed:
// do latencies come back, does the backlog (outbox, consumer lag) drain? Latency objectives are
// four times the average load's; 5 % of requests may fail.
//
//   k6 run k6/scenarios/spike.js
//   BASE_RATE (1 visit/s), PEAK_RATE (20), BASELINE (30s), RAMP_UP (10s), HOLD (1m),
//   RAMP_DOWN (10s), RECOVERY (1m), PRE_VUS (20), MAX_VUS (200)
// Above 600 requests a minute: start the gateway with a higher RATE_LIMIT_MAX (k6/README.md).
import { envDuration, envNumber } from '../lib/config.js';
import { commonOptions, setupShop, shopperMix, thresholds, visitShop } from '../lib/shop.js';

const BASE_RATE = envNumber('BASE_RATE', 1, { min: 0 });
const PEAK_RATE = envNumber('PEAK_RATE', 20, { min: 0.1 });
const base = Math.round(BASE_RATE * 60);
const peak = Math.round(PEAK_RATE * 60);

const mix = shopperMix();

export const options = {
  ...commonOptions(),
  scenarios: {
    spike: {
      executor: 'ramping-arrival-rate',
      startRate: base,
      timeUnit: '1m',
      stages: [
        { target: base, duration: envDuration('BASELINE', '30s') },
        { target: peak, duration: envDuration('RAMP_UP', '10s') },
        { target: peak, duration: envDuration('HOLD', '1m') },
        { target: base, duration: envDuration('RAMP_DOWN', '10s') },
        { target: base, duration: envDuration('RECOVERY', '1m') },
      ],
      preAllocatedVUs: envNumber('PRE_VUS', 20, { min: 1, integer: true }),
      maxVUs: envNumber('MAX_VUS', 200, { min: 1, integer: true }),
    },
  },
  thresholds: thresholds({ latencyFactor: 4, failedRate: 0.05, checksRate: 0.95 }),
};

export function setup() {
  return setupShop({ peakVisitsPerSecond: PEAK_RATE, mix });
}

export default function (catalogue) {
  visitShop(catalogue, mix);
}
