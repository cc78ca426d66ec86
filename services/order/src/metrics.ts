import {
  type BatchObservableCallback,
  type Counter,
  type Histogram,
  type Meter,
  metrics,
  type ObservableGauge,
} from '@opentelemetry/api';

/**
 * How a placement ended: the order's terminal status, or `error` when the request failed and the
 * order has none yet (nothing persisted, or left to the recovery job). Requests refused with a
 * 4xx (bad SKU, idempotency conflicts) made no order and are not counted here.
 */
export type OrderOutcome = 'confirmed' | 'rejected' | 'payment_failed' | 'error';

interface Instruments {
  meter: Meter;
  orders: Counter;
  duration: Histogram;
  outboxPending: ObservableGauge;
  outboxParked: ObservableGauge;
  outboxPublished: Counter;
}

let instruments: Instruments | undefined;

// Created on first use rather than at import: the metrics API has no proxy provider, so a
// meter taken before the SDK is registered (e.g. in tests) would stay a no-op forever.
function getInstruments(): Instruments {
  if (!instruments) {
    const meter = metrics.getMeter('@mesh/order');
    instruments = {
      meter,
      orders: meter.createCounter('mesh.orders', {
        description: 'Orders placed, by outcome',
        unit: '{order}',
      }),
      duration: meter.createHistogram('mesh.order.duration', {
        description: 'Time to place an order: reserve, persist, charge and confirm',
        unit: 's',
        advice: { explicitBucketBoundaries: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
      }),
      // Every replica reports the same table (this gauge and the next): aggregate with max.
      outboxPending: meter.createObservableGauge('mesh.outbox.pending', {
        description: 'Order events in the outbox waiting to be published to Kafka',
        unit: '{event}',
      }),
      // Anything above zero needs a person: these events go out only once replayed.
      outboxParked: meter.createObservableGauge('mesh.outbox.parked', {
        description: 'Order events Kafka kept refusing, parked in the outbox until replayed',
        unit: '{event}',
      }),
      outboxPublished: meter.createCounter('mesh.outbox.published', {
        description: 'Order events the outbox relay published to Kafka, by event type',
        unit: '{event}',
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

export function recordEventPublished(eventType: string): void {
  getInstruments().outboxPublished.add(1, { 'mesh.event.type': eventType });
}

/**
 * Reports `count()` as mesh.outbox.pending and mesh.outbox.parked at each collection, until the
 * returned function is called. A failing count (PostgreSQL down) reports nothing rather than a
 * wrong number.
 */
export function observeOutbox(
  count: () => Promise<{ pending: number; parked: number }>,
): () => void {
  const { meter, outboxPending, outboxParked } = getInstruments();
  const observed = [outboxPending, outboxParked];
  const callback: BatchObservableCallback = async (result) => {
    const counts = await count().catch(() => undefined);
    if (!counts) return;
    result.observe(outboxPending, counts.pending);
    result.observe(outboxParked, counts.parked);
  };
  meter.addBatchObservableCallback(callback, observed);
  return () => meter.removeBatchObservableCallback(callback, observed);
}
