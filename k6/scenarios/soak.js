// Soak: the average load for hours. What only time shows: memory that grows, connection pools
// that leak, tables and topics that fill up (the outbox purge, processed-message tables), a
// telemetry pipeline that falls behind. Same objectives as the average load.
//
//   k6 run k6/scenarios/soak.js
//   RATE (2 visits/s), DURATION (2h), PRE_VUS (10), MAX_VUS (50)
// Orders use up the seeded stock: at the default rate some 1,500 units an hour of the roughly
// 6,700 the plentiful products start with, so after four to five hours orders end REJECTED
// (k6_mesh_orders_total{order_status="REJECTED"} in Prometheus shows it).
import { envDuration, envNumber } from '../lib/config.js';
import { commonOptions, setupShop, shopperMix, thresholds, visitShop } from '../lib/shop.js';

const RATE = envNumber('RATE', 2, { min: 0.1 });

const mix = shopperMix();

export const options = {
  ...commonOptions(),
  scenarios: {
    soak: {
      executor: 'constant-arrival-rate',
      rate: Math.round(RATE * 60),
      timeUnit: '1m',
      duration: envDuration('DURATION', '2h'),
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
