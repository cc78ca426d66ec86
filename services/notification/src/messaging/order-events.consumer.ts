import { OrderEvent } from '@mesh/contracts';
import {
  compileValidator,
  type Kafka,
  parseMessage,
  type ReceivedMessage,
  type RunningConsumer,
  startConsumer,
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
  logger: Logger;
}

/** Consumes order-events in this service's own group and notifies once per event. */
export function startOrderEventsConsumer(
  settings: OrderEventsConsumerSettings,
): Promise<RunningConsumer> {
  return startConsumer({
    kafka: settings.kafka,
    groupId: settings.groupId,
    topic: settings.topic,
    logger: settings.logger,
    maxAttempts: settings.maxAttempts,
    handle: async (received) => {
      await notifyCustomer(settings, parseOrderEvent(received));
    },
  });
}
