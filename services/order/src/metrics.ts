import type { BatchObservableCallback, Meter } from '@opentelemetry/api';
import type { UnpublishedEvents } from './data/outbox.repository';

/**
 * How a placement ended: the order's terminal status, or `error` when the request failed and the
 * order has none yet (nothing persisted, or left to the recovery job). Requests refused with a
 * 4xx (bad SKU, idempotency conflicts) made no order and are not counted here.
 */
export type OrderOutcome = 'confirmed' | 'rejected' | 'payment_failed' | 'error';

export interface OrderMetrics {
  /** A placement ended with `outcome` after `seconds`. */
  recordPlacement(outcome: OrderOutcome, seconds: number): void;
  /** The outbox relay published an order event of this type. */
  countEventPublished(eventType: string): void;
  /**
   * Reports `count()` as mesh.outbox.pending, mesh.outbox.parked and mesh.outbox.oldest.age at
   * each collection, until the returned function is called. A failing count (PostgreSQL down)
   * reports nothing rather than a wrong number.
   */
  observeOutbox(count: () => Promise<UnpublishedEvents>): () => void;
}

/** The order service's business metrics, from the meter the wiring passes in. */
export function createOrderMetrics(meter: Meter): OrderMetrics {
  const orders = meter.createCounter('mesh.orders', {
    description: 'Orders placed, by outcome',
    unit: '{order}',
  });
  const duration = meter.createHistogram('mesh.order.duration', {
    description: 'Time to place an order: reserve, persist, charge and confirm',
    unit: 's',
    advice: { explicitBucketBoundaries: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
  });
  // Every replica reports the same table (this gauge and the next): aggregate with max.
  const outboxPending = meter.createObservableGauge('mesh.outbox.pending', {
    description: 'Order events in the outbox waiting to be published to Kafka',
    unit: '{event}',
  });
  // Anything above zero needs a person: these events go out only once replayed.
  const outboxParked = meter.createObservableGauge('mesh.outbox.parked', {
    description: 'Order events Kafka kept refusing, parked in the outbox until replayed',
    unit: '{event}',
  });
  // Climbs by a second per second when the relay is stuck, whatever the order rate.
  const outboxOldestAge = meter.createObservableGauge('mesh.outbox.oldest.age', {
    description: 'How long the oldest order event waiting in the outbox has waited',
    unit: 's',
  });
  const outboxPublished = meter.createCounter('mesh.outbox.published', {
    description: 'Order events the outbox relay published to Kafka, by event type',
    unit: '{event}',
  });
  return {
    recordPlacement(outcome, seconds) {
      const attributes = { 'mesh.order.outcome': outcome };
      orders.add(1, attributes);
      duration.record(seconds, attributes);
    },
    countEventPublished: (eventType) => outboxPublished.add(1, { 'mesh.event.type': eventType }),
    observeOutbox(count) {
      const observed = [outboxPending, outboxParked, outboxOldestAge];
      const callback: BatchObservableCallback = async (result) => {
        const counts = await count().catch(() => undefined);
        if (!counts) return;
        result.observe(outboxPending, counts.pending);
        result.observe(outboxParked, counts.parked);
        result.observe(outboxOldestAge, counts.oldestPendingAgeSeconds);
      };
      meter.addBatchObservableCallback(callback, observed);
      return () => meter.removeBatchObservableCallback(callback, observed);
    },
  };
}
