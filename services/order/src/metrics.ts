import { type Counter, type Histogram, metrics } from '@opentelemetry/api';

/**
 * How a placement ended: the order's terminal status, or `error` when the request failed and the
 * order has none yet (nothing persisted, or left to the recovery job). Requests refused with a
 * 4xx (bad SKU, idempotency conflicts) made no order and are not counted here.
 */
export type OrderOutcome = 'confirmed' | 'rejected' | 'payment_failed' | 'error';

interface Instruments {
  orders: Counter;
  duration: Histogram;
}

let instruments: Instruments | undefined;

// Created on first use rather than at import: the metrics API has no proxy provider, so a
// meter taken before the SDK is registered (e.g. in tests) would stay a no-op forever.
function getInstruments(): Instruments {
  if (!instruments) {
    const meter = metrics.getMeter('@mesh/order');
    instruments = {
      orders: meter.createCounter('mesh.orders', {
        description: 'Orders placed, by outcome',
        unit: '{order}',
      }),
      duration: meter.createHistogram('mesh.order.duration', {
        description: 'Time to place an order: reserve, persist, charge and confirm',
        unit: 's',
        advice: { explicitBucketBoundaries: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
      }),
    };
  }
  return instruments;
}

export function recordOrderPlaced(outcome: OrderOutcome, seconds: number): void {
  const attributes = { 'mesh.order.outcome': outcome };
  const { orders, duration } = getInstruments();
  orders.add(1, attributes);
  duration.record(seconds, attributes);
}
