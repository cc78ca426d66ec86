import type { Meter } from '@opentelemetry/api';

export interface NotificationMetrics {
  /** A notification was sent for an order event of this type. */
  countSent(eventType: string): void;
}

/** The notification service's business metrics, from the meter the wiring passes in. */
export function createNotificationMetrics(meter: Meter): NotificationMetrics {
  const sent = meter.createCounter('mesh.notifications', {
    description: 'Notifications sent, by order event type',
  });
  return {
    countSent: (eventType) => sent.add(1, { 'mesh.event.type': eventType }),
  };
}
