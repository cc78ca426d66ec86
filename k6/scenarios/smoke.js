// Smoke: a couple of shoppers for half a minute. Does every route answer, does every check pass,
// does the trace continue? Run it after every change and before any bigger scenario.
//
//   k6 run k6/scenarios/smoke.js
//   VUS (2), DURATION (30s); the shopper settings of k6/README.md
import { envDuration, envNumber } from '../lib/config.js';
import { commonOptions, setupShop, shopperMix, thresholds, visitShop } from '../lib/shop.js';

const VUS = envNumber('VUS', 2, { min: 1, max: 10, integer: true });

// Buys, declines, sold-out products and retries far more often than real shoppers, so that a
// short run goes down every path; a second of think time keeps it gentle.
const mix = shopperMix({
  checkoutRatio: 0.5,
  declineRatio: 0.25,
  soldOutRatio: 0.1,
  replayRatio: 0.25,
  thinkTime: 1,
});

export const options = {
  ...commonOptions(),
  scenarios: {
    smoke: {
      executor: 'constant-vus',
      vus: VUS,
      duration: envDuration('DURATION', '30s'),
    },
  },
  // Nothing may fail at this load, and every e-mail must be out within NOTIFICATION_WAIT.
  thresholds: {
    ...thresholds({ failedRate: 0.001, checksRate: 0.999 }),
    mesh_order_notified: ['rate>0.95'],
  },
};

export function setup() {
  // A visit with think time takes a few seconds: well under one visit a second per VU.
  return setupShop({ peakVisitsPerSecond: VUS, mix });
}

export default function (catalogue) {
  visitShop(catalogue, mix);
}
