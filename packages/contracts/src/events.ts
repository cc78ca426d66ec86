import { type Static, Type } from '@sinclair/typebox';
import { Currency, CustomerId, IsoTime, OrderId, PricedItem, Uuid } from './common';

/**
 * The one topic for order events. Key: the order id, so every event of an order lands on one
 * partition and is consumed in order. Created explicitly at start (never auto-created).
 */
export const ORDER_EVENTS_TOPIC = 'order-events';

/** Where a consumer parks a message it cannot process after its bounded retries. */
export function deadLetterTopic(topic: string, groupId: string): string {
  return `${topic}.${groupId}.dlq`;
}

/** Kafka headers Mesh sets on every event, beside the W3C trace context headers. */
export const EVENT_HEADERS = {
  id: 'mesh-event-id',
  type: 'mesh-event-type',
} as const;

/** Headers a dead-lettered message gets on top of its original ones. */
export const DEAD_LETTER_HEADERS = {
  error: 'mesh-dlq-error',
  attempts: 'mesh-dlq-attempts',
  topic: 'mesh-dlq-original-topic',
  partition: 'mesh-dlq-original-partition',
  offset: 'mesh-dlq-original-offset',
  group: 'mesh-dlq-consumer-group',
  /** The producer's traceparent, kept because the dead-letter publish sets its own. */
  traceparent: 'mesh-dlq-original-traceparent',
} as const;

/**
 * Every order that reaches a terminal state publishes exactly one event:
 * CONFIRMED → `order.confirmed`; REJECTED or PAYMENT_FAILED → `order.cancelled` (with reason).
 */
export const OrderEventType = Type.Union([
  Type.Literal('order.confirmed'),
  Type.Literal('order.cancelled'),
]);
export type OrderEventType = Static<typeof OrderEventType>;

export const OrderEvent = Type.Object({
  /** Unique per event: consumers deduplicate on it (delivery is at-least-once). */
  id: Uuid,
  type: OrderEventType,
  occurredAt: IsoTime,
  orderId: OrderId,
  customerId: CustomerId,
  status: Type.Union([
    Type.Literal('CONFIRMED'),
    Type.Literal('REJECTED'),
    Type.Literal('PAYMENT_FAILED'),
  ]),
  reason: Type.Optional(Type.String()),
  items: Type.Array(PricedItem),
  totalCents: Type.Integer({ minimum: 0 }),
  currency: Currency,
});
export type OrderEvent = Static<typeof OrderEvent>;

// The notification service's HTTP API (behind the gateway's GET /api/notifications).

export const NotificationQuery = Type.Object({ orderId: OrderId }, { additionalProperties: false });
export type NotificationQuery = Static<typeof NotificationQuery>;

export const Notification = Type.Object({
  id: Uuid,
  orderId: OrderId,
  eventId: Uuid,
  eventType: OrderEventType,
  channel: Type.Literal('email'),
  recipient: Type.String(),
  subject: Type.String(),
  sentAt: IsoTime,
});
export type Notification = Static<typeof Notification>;

export const NotificationList = Type.Object({ items: Type.Array(Notification) });
export type NotificationList = Static<typeof NotificationList>;
