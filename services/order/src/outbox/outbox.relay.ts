import { EVENT_HEADERS } from '@mesh/contracts';
import {
  ensureTopics,
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
  countUnpublishedEvents,
  markEventPublished,
  type PendingEvent,
  parkEvent,
  purgePublishedEvents,
  recordPublishFailure,
} from '../data/outbox.repository';
import { observeOutbox, recordEventPublished } from '../metrics';

const tracer = trace.getTracer('@mesh/order');

/** Pause after a failed pass, doubled per failure in a row up to MAX_BACKOFF_MS. */
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5_000;

/** How often published events past their retention are deleted. */
const PURGE_INTERVAL_MS = 60_000;

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
  logger: Logger;
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
  const published: PendingEvent[] = [];
  let parked: { event: PendingEvent; attempts: number; error: unknown } | undefined;
  const failed = await withTransaction(settings.pool, async (tx) => {
    for (const event of await claimPendingEvents(tx, settings.batchSize)) {
      try {
        await publish(producer, settings.topic, event);
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
  for (const event of published) recordEventPublished(event.event_type);
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
function publish(producer: Producer, topic: string, event: PendingEvent): Promise<unknown> {
  const attributes = {
    'mesh.order.id': event.order_id,
    'mesh.event.id': event.id,
    'mesh.event.type': event.event_type,
    'mesh.outbox.delay_ms': Date.now() - event.created_at.getTime(),
  };
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
            headers: { [EVENT_HEADERS.id]: event.id, [EVENT_HEADERS.type]: event.event_type },
          },
        ],
      });
    }),
  );
}

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.slice(0, MAX_ERROR_LENGTH);
}

export interface OutboxRelaySettings {
  pool: Pool;
  kafka: Kafka;
  logger: Logger;
  /** Where the events go; created, if missing, before the first pass. */
  topic: TopicSpec;
  /** Pause after a pass that left nothing to publish. */
  pollIntervalMs: number;
  batchSize: number;
  /** Failed sends after which an event Kafka refuses is parked. */
  maxAttempts: number;
  /** Published events are kept this long (for inspection and replays), then deleted. */
  retentionMs: number;
}

export interface OutboxRelay {
  /** Starts publishing in the background; never waits for Kafka. */
  start(): void;
  /** An event was just committed: publish now instead of at the next poll. */
  wake(): void;
  /** Ends the passes after the one under way and disconnects the producer. */
  stop(): Promise<void>;
}

/**
 * Publishes the outbox to Kafka for as long as it runs. It never gives up: a pass that fails
 * (Kafka or PostgreSQL down) is followed by another after a backoff, and the events wait in the
 * outbox meanwhile, so the service takes orders whether or not Kafka is there.
 */
export function createOutboxRelay(settings: OutboxRelaySettings): OutboxRelay {
  const { logger } = settings;
  let producer = createOutboxProducer(settings.kafka);
  let started = false;
  let stopped = false;
  /** The pass under way, which stop() waits for: it holds locked events and may be sending. */
  let passUnderWay: Promise<unknown> = Promise.resolve();
  /** wake() was called since the current pass began. */
  let woken = false;
  let endPause: (() => void) | undefined;
  let stopObserving: (() => void) | undefined;

  /** Waits `ms`; stop() ends the wait early, and so does wake() when `wakeable`. */
  function pause(ms: number, wakeable: boolean): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        endPause = undefined;
        resolve();
      }
      endPause = () => {
        if (stopped || (wakeable && woken)) done();
      };
      endPause();
    });
  }

  let failures = 0;
  // Not woken: while Kafka is down every new order would otherwise cut the backoff short.
  const backOff = () => {
    failures += 1;
    return pause(Math.min(FIRST_BACKOFF_MS * 2 ** (failures - 1), MAX_BACKOFF_MS), false);
  };

  async function createTopic(): Promise<void> {
    while (!stopped) {
      try {
        await ensureTopics(settings.kafka, [settings.topic]);
        failures = 0;
        return;
      } catch (error) {
        logger.warn(
          { err: error, topic: settings.topic.topic },
          'could not create the order events topic; retrying',
        );
        await backOff();
      }
    }
  }

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

  let lastPurge = 0;
  /** Keeps the table small: published events older than the retention go, once a minute. */
  async function purgeFromTimeToTime(): Promise<void> {
    if (Date.now() - lastPurge < PURGE_INTERVAL_MS) return;
    lastPurge = Date.now();
    try {
      const purged = await purgePublishedEvents(settings.pool, settings.retentionMs);
      if (purged > 0) logger.debug({ purged }, 'purged published outbox events');
    } catch (error) {
      logger.warn({ err: error }, 'purging published outbox events failed; will retry');
    }
  }

  async function run(): Promise<void> {
    await createTopic();
    while (!stopped) {
      woken = false;
      let pass: PassResult | undefined;
      try {
        const current = publishPendingEvents({
          pool: settings.pool,
          topic: settings.topic.topic,
          producer,
          batchSize: settings.batchSize,
          maxAttempts: settings.maxAttempts,
          logger,
        });
        passUnderWay = current.catch(() => undefined);
        pass = await current;
      } catch (error) {
        logger.warn({ err: error }, 'outbox relay pass failed; retrying');
      }
      if (!pass || pass.failed) {
        if (pass) await replaceProducer();
        await backOff();
        continue;
      }
      if (failures > 0) logger.info({ failedPasses: failures }, 'outbox relay publishing again');
      failures = 0;
      await purgeFromTimeToTime();
      // A full batch means more are probably waiting: go on at once.
      if (pass.published < settings.batchSize) await pause(settings.pollIntervalMs, true);
    }
  }

  return {
    start() {
      if (started) return;
      started = true;
      stopObserving = observeOutbox(() => countUnpublishedEvents(settings.pool));
      run().catch((error: unknown) =>
        logger.error({ err: error }, 'outbox relay stopped unexpectedly'),
      );
    },
    wake() {
      woken = true;
      endPause?.();
    },
    async stop() {
      stopped = true;
      endPause?.();
      // Not the topic creation: with Kafka down it can take kafkajs's whole retry time, and
      // nothing is lost by leaving it. It ends the loop when it returns.
      await passUnderWay;
      stopObserving?.();
      await producer.disconnect().catch(() => undefined);
    },
  };
}
