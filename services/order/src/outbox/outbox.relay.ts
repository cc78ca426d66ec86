import { EVENT_HEADERS } from '@mesh/contracts';
import {
  ensureTopics,
  type Faults,
  type Kafka,
  type Pool,
  type Producer,
  type TopicSpec,
  withTransaction,
} from '@mesh/service-kit';
import { inSpan, type Logger, withTraceContext } from '@mesh/telemetry';
import { trace } from '@opentelemetry/api';
import {
  claimPendingEvents,
  markEventPublished,
  type PendingEvent,
  parkEvent,
  recordPublishFailure,
} from '../data/outbox.repository';
import type { OrderMetrics } from '../metrics';

const tracer = trace.getTracer('@mesh/order');

/** How much of a failure's message is kept in outbox.last_error. */
const MAX_ERROR_LENGTH = 1_000;

/**
 * Broker answers that refuse the record itself (kafkajs error types): sending the same event
 * again cannot succeed. Every other failure (Kafka unreachable or restarting, no leader, a
 * producer state the broker lost) is about Kafka, not the event, and must never park it, or an
 * outage would park the whole queue.
 */
const RECORD_REFUSALS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_TIMESTAMP',
]);

/**
 * The relay's producer: idempotent, one request in flight, so a send retried after a lost
 * acknowledgement is written once and messages keep their order. Topics are never auto-created.
 */
export function createOutboxProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
}

export interface PublishSettings {
  pool: Pool;
  /** Where every event goes: the relay owns its destination, the rows do not name one. */
  topic: string;
  /** Connected by the pass if it is not yet. */
  producer: Producer;
  batchSize: number;
  /** Failed sends after which an event Kafka refuses is parked. */
  maxAttempts: number;
  metrics: OrderMetrics;
  logger: Logger;
  faults: Faults;
  /** Ends the pass after the event being sent: the relay stops, or the pass is over its time. */
  signal?: AbortSignal;
}

export interface PassResult {
  /** Events published and marked so. */
  published: number;
  /**
   * A send failed: the pass stopped there, and that event goes first in the next pass, unless
   * it was parked.
   */
  failed: boolean;
}

/**
 * One pass of the relay: locks the oldest unpublished events and publishes them one by one, in
 * order, each in the trace context stored with it. An event is marked published only once the
 * broker acknowledged it (acks = all); the first failure ends the pass, so no later event
 * overtakes it. Delivery is at-least-once: a crash between the acknowledgement and the commit
 * publishes the event again, and consumers deduplicate on its id.
 *
 * An event Kafka refuses is parked once it failed `maxAttempts` times, so that it does not hold
 * up the events behind it forever; it waits, with its last error, to be replayed.
 */
export async function publishPendingEvents(settings: PublishSettings): Promise<PassResult> {
  const { producer, logger } = settings;
  const dropTraceHeaders = await settings.faults.on('order-kafka-headers-dropped');
  const published: PendingEvent[] = [];
  let parked: { event: PendingEvent; attempts: number; error: unknown } | undefined;
  const failed = await withTransaction(settings.pool, async (tx) => {
    for (const event of await claimPendingEvents(tx, settings.batchSize)) {
      if (settings.signal?.aborted) break;
      try {
        await publish(producer, settings.topic, event, dropTraceHeaders);
      } catch (error) {
        const attempts = await recordPublishFailure(tx, event.id, messageOf(error));
        if (attempts >= settings.maxAttempts && isRecordRefusal(error)) {
          await parkEvent(tx, event.id);
          parked = { event, attempts, error };
        } else {
          logger.warn(
            { err: error, eventId: event.id, orderId: event.order_id, attempts },
            'could not publish an order event; it stays in the outbox',
          );
        }
        return true;
      }
      await markEventPublished(tx, event.id);
      published.push(event);
    }
    return false;
  });
  for (const event of published) settings.metrics.countEventPublished(event.event_type);
  if (parked) {
    const { event, attempts, error } = parked;
    logger.error(
      { err: error, eventId: event.id, orderId: event.order_id, attempts },
      'Kafka keeps refusing an order event: parked, the events behind it go on; replay it with `pnpm --filter @mesh/order outbox:replay <order-id>` once fixed',
    );
  }
  return { published: published.length, failed };
}

/** Whether Kafka refused the record itself, anywhere in the error's chain of causes. */
function isRecordRefusal(error: unknown): boolean {
  let current: unknown = error;
  // Bounded: a chain of causes could loop.
  for (let depth = 0; depth < 10 && current instanceof Error; depth++) {
    const { type } = current as { type?: unknown };
    if (typeof type === 'string' && RECORD_REFUSALS.has(type)) return true;
    current = current.cause;
  }
  return false;
}

/**
 * Sends one event as one message, so that its span (and the kafkajs `send` span under it) is
 * part of the trace of the request or job that wrote the event, however late the send happens.
 */
function publish(
  producer: Producer,
  topic: string,
  event: PendingEvent,
  dropTraceHeaders: boolean,
): Promise<unknown> {
  const attributes = {
    'mesh.order.id': event.order_id,
    'mesh.event.id': event.id,
    'mesh.event.type': event.event_type,
    'mesh.outbox.delay_ms': Date.now() - event.created_at.getTime(),
  };
  const headers = { [EVENT_HEADERS.id]: event.id, [EVENT_HEADERS.type]: event.event_type };
  return withTraceContext(event.trace_context, () =>
    inSpan(tracer, 'publish order event', { attributes }, async () => {
      // Returns at once when connected already.
      await producer.connect();
      return producer.send({
        topic,
        acks: -1,
        messages: [
          {
            key: event.order_id,
            value: JSON.stringify(event.payload),
            headers: dropTraceHeaders ? eventFieldsOnly(headers) : headers,
          },
        ],
      });
    }),
  );
}

/**
 * Workshop fault order-kafka-headers-dropped: message headers that keep the event's own fields
 * and ignore anything written into them later, as a producer wrapper that forwards an allow-list
 * of headers would. The kafkajs instrumentation writes the trace context (traceparent,
 * tracestate, baggage, b3) into the headers at send, so that is what gets lost: the send span
 * stays in the order's trace, and consumers start traces of their own.
 */
function eventFieldsOnly(headers: Record<string, string>): Record<string, string> {
  // true: the write "succeeds", so nothing throws in the instrumentation's strict-mode setter.
  return new Proxy(headers, { set: () => true });
}

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.slice(0, MAX_ERROR_LENGTH);
}

export interface OutboxPublisherSettings {
  pool: Pool;
  kafka: Kafka;
  /** Where the events go; created, if missing, before the first pass. */
  topic: TopicSpec;
  batchSize: number;
  /** Failed sends after which an event Kafka refuses is parked. */
  maxAttempts: number;
  metrics: OrderMetrics;
  logger: Logger;
  faults: Faults;
}

export interface OutboxPublisher {
  /**
   * One pass, for the relay's periodic job: `'more'` after a full batch (more are probably
   * waiting); throws when it failed, so the job backs off before the next one.
   */
  publishPass(signal: AbortSignal): Promise<'more' | undefined>;
  /** Disconnects the producer; call once no pass runs any more. */
  close(): Promise<void>;
}

/**
 * The relay's passes with what they keep between them: the topic, created once, and the
 * producer, replaced after a failed send.
 */
export function createOutboxPublisher(settings: OutboxPublisherSettings): OutboxPublisher {
  let producer = createOutboxProducer(settings.kafka);
  let topicExists = false;
  let stalled = false;

  /**
   * After a failed send, the next pass starts from a new producer: new connections whatever state
   * the old ones were left in, and a new producer id, so a sequence number the broker no longer
   * accepts (it lost its producer state) cannot stall the relay. Events are deduplicated by
   * consumers, so a resend from the new producer is harmless.
   */
  async function replaceProducer(): Promise<void> {
    const broken = producer;
    producer = createOutboxProducer(settings.kafka);
    await broken.disconnect().catch(() => undefined);
  }

  return {
    async publishPass(signal) {
      // Workshop fault order-relay-stalled: passes publish nothing, and the events wait in the
      // outbox (mesh.outbox.pending and mesh.outbox.oldest.age climb) until it is off.
      if (await settings.faults.on('order-relay-stalled')) {
        if (!stalled) {
          settings.logger.warn(
            'outbox relay stalled by the fault flag order-relay-stalled: order events wait in the outbox',
          );
        }
        stalled = true;
        return undefined;
      }
      if (stalled)
        settings.logger.info('outbox relay publishing again: order-relay-stalled is off');
      stalled = false;
      if (!topicExists) {
        await ensureTopics(settings.kafka, [settings.topic]).catch((error: unknown) => {
          throw new Error(`could not create the topic ${settings.topic.topic}`, { cause: error });
        });
        topicExists = true;
      }
      const pass = await publishPendingEvents({
        pool: settings.pool,
        topic: settings.topic.topic,
        producer,
        batchSize: settings.batchSize,
        maxAttempts: settings.maxAttempts,
        metrics: settings.metrics,
        logger: settings.logger,
        faults: settings.faults,
        signal,
      });
      if (pass.failed) {
        await replaceProducer();
        throw new Error('an order event could not be published; the pass stopped there');
      }
      return pass.published === settings.batchSize ? 'more' : undefined;
    },
    close: () => producer.disconnect().catch(() => undefined),
  };
}
