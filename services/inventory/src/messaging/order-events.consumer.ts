import { OrderEvent } from '@mesh/contracts';
import {
  type BackgroundConsumer,
  compileValidator,
  type Kafka,
  PoisonMessageError,
  parseMessage,
  type ReceivedMessage,
  startConsumerInBackground,
  type TopicLayout,
} from '@mesh/service-kit';
import { applyOrderEvent } from '../domain/apply-order-event';
import type { Inventory } from '../domain/inventory';

const isOrderEvent = compileValidator(OrderEvent, 'body');

/**
 * The order event a message carries; anything else is a PoisonMessageError, which sends it to
 * the dead-letter topic.
 */
export function readOrderEvent(received: ReceivedMessage): OrderEvent {
  const event = parseMessage<OrderEvent>(received, isOrderEvent, 'order event');
  // The contract pairs them; a mismatch would commit or release against the order's fate.
  if ((event.type === 'order.confirmed') !== (event.status === 'CONFIRMED')) {
    throw new PoisonMessageError(`not an order event: ${event.type} with status ${event.status}`);
  }
  return event;
}

export interface OrderEventsConsumerSettings {
  kafka: Kafka;
  topic: string;
  groupId: string;
  /** Attempts for a failing event before it goes to the dead-letter topic. */
  maxAttempts: number;
  /** Messages handled at once; never two of the same order (see startConsumer). */
  concurrency?: number;
  /** Of the topic and its dead-letter topic, if this creates them (see topicLayout). */
  topicLayout: TopicLayout;
}

/**
 * Consumes order-events in this service's own group and ends each order's reservation the way
 * the order ended. Started in the background: reservations over HTTP are on the order path and
 * must not wait for Kafka, so the consumer keeps trying to start while the broker is down.
 * Infrastructure failures (PostgreSQL down) are retried until they pass; a message that is not
 * an order event is dead-lettered after `maxAttempts`.
 */
export function startOrderEventsConsumer(
  inventory: Inventory,
  settings: OrderEventsConsumerSettings,
): BackgroundConsumer {
  return startConsumerInBackground({
    kafka: settings.kafka,
    topic: settings.topic,
    groupId: settings.groupId,
    logger: inventory.logger,
    maxAttempts: settings.maxAttempts,
    concurrency: settings.concurrency,
    createTopics: settings.topicLayout,
    handle: async (received) => {
      await applyOrderEvent(inventory, readOrderEvent(received));
    },
  });
}
