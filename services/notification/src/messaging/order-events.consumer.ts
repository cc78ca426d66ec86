import { OrderEvent } from '@mesh/contracts';
import {
  type BackgroundConsumer,
  compileValidator,
  type Kafka,
  parseMessage,
  type ReceivedMessage,
  startConsumerInBackground,
  type TopicLayout,
} from '@mesh/service-kit';
import type { Logger } from '@mesh/telemetry';
import { type NotifyDeps, notifyCustomer } from '../domain/notify-customer';

const isOrderEvent = compileValidator(OrderEvent, 'body');

/** The event in a message, or a PoisonMessageError that sends it to the dead-letter topic. */
export function parseOrderEvent(received: ReceivedMessage): OrderEvent {
  return parseMessage<OrderEvent>(received, isOrderEvent, 'order event');
}

export interface OrderEventsConsumerSettings extends NotifyDeps {
  kafka: Kafka;
  topic: string;
  groupId: string;
  maxAttempts: number;
  /** Messages handled at once; never two of the same order (see startConsumer). */
  concurrency?: number;
  logger: Logger;
  /** Of the topic and its dead-letter topic, if this creates them (see topicLayout). */
  topicLayout: TopicLayout;
}

/**
 * Consumes order-events in this service's own group and notifies once per event. Started in the
 * background, like every Mesh consumer: the service starts and serves while Kafka is down, and
 * the consumer joins when the broker answers (events wait in Kafka meanwhile).
 */
export function startOrderEventsConsumer(
  settings: OrderEventsConsumerSettings,
): BackgroundConsumer {
  return startConsumerInBackground({
    kafka: settings.kafka,
    groupId: settings.groupId,
    topic: settings.topic,
    logger: settings.logger,
    maxAttempts: settings.maxAttempts,
    concurrency: settings.concurrency,
    createTopics: settings.topicLayout,
    handle: async (received) => {
      await notifyCustomer(settings, parseOrderEvent(received));
    },
  });
}
