// Average load: the traffic Mesh is expected to carry on a normal day, at a constant arrival
// rate (new visits per second, however slow Mesh gets), long enough to settle. Its thresholds
// are Mesh's latency objectives (P95_MS in k6/lib/shop.js).
//
//   k6 run k6/scenarios/average-load.js
//   RATE (2 visits/s, about 7 requests/s), DURATION (5m), PRE_VUS (10), MAX_VUS (50)
import { envDuration, envNumber } from '../lib/config.js';
import { commonOptions, setupShop, shopperMix, thresholds, visitShop } from '../lib/shop.js';

// The default stays under the gateway's default rate limit (600 requests a minute per key).
const RATE = envNumber('RATE', 2, { min: 0.1 });

const mix = shopperMix();

export const options = {
  ...commonOptions(),
  scenarios: {
    'average-load': {
      executor: 'constant-arrival-rate',
      rate: Math.round(RATE * 60),
      timeUnit: '1m',
      duration: envDuration('DURATION', '5m'),
      preAllocatedVUs: envNumber('PRE_VUS', 10, { min: 1, integer: true }),
      maxVUs: envNumber('MAX_VUS', 50, { min: 1, integer: true }),
    },
  },
  thresholds: thresholds(),
};

export function setup() {
  return setupShop({ peakVisitsPerSecond: RATE, mix });
}

export default function (catalogue) {
  visitShop(catalogue, mix);
}
