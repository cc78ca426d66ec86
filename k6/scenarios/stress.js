// Stress: well above the average load (five times, by default), reached gradually and held. How
// does Mesh degrade: which hop slows first, do errors appear, does anything queue up (consumer
// lag, the outbox)? The objectives are relaxed to twice the average load's latencies and 2 %
// failed requests.
//
//   k6 run k6/scenarios/stress.js
//   PEAK_RATE (10 visits/s), RAMP_UP (2m), HOLD (5m), RAMP_DOWN (1m), PRE_VUS (20), MAX_VUS (150)
// Above 600 requests a minute: start the gateway with a higher RATE_LIMIT_MAX (k6/README.md).
import { envDuration, envNumber } from '../lib/config.js';
import { commonOptions, setupShop, shopperMix, thresholds, visitShop } from '../lib/shop.js';

const PEAK_RATE = envNumber('PEAK_RATE', 10, { min: 0.1 });
const perMinute = Math.round(PEAK_RATE * 60);

const mix = shopperMix();

export const options = {
  ...commonOptions(),
  scenarios: {
    stress: {
      executor: 'ramping-arrival-rate',
      startRate: 0,
      timeUnit: '1m',
      stages: [
        { target: perMinute, duration: envDuration('RAMP_UP', '2m') },
        { target: perMinute, duration: envDuration('HOLD', '5m') },
        { target: 0, duration: envDuration('RAMP_DOWN', '1m') },
      ],
      preAllocatedVUs: envNumber('PRE_VUS', 20, { min: 1, integer: true }),
      maxVUs: envNumber('MAX_VUS', 150, { min: 1, integer: true }),
    },
  },
  thresholds: thresholds({ latencyFactor: 2, failedRate: 0.02, checksRate: 0.98 }),
};

export function setup() {
  return setupShop({ peakVisitsPerSecond: PEAK_RATE, mix });
}

export default function (catalogue) {
  visitShop(catalogue, mix);
}
