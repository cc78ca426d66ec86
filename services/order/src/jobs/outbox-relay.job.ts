import {
  type Faults,
  type Kafka,
  type Pool,
  startPeriodicJob,
  type TopicSpec,
} from '@mesh/service-kit';
import type { Logger } from '@mesh/telemetry';
import { countUnpublishedEvents, purgePublishedEvents } from '../data/outbox.repository';
import type { OrderMetrics } from '../metrics';
import { createOutboxPublisher } from '../outbox/outbox.relay';

/**
 * A pass takes milliseconds; with Kafka away one send can last kafkajs's whole retry budget (tens
 * of seconds). A pass over this is told to stop after the event it is sending.
 */
const PASS_TIMEOUT_MS = 60_000;

/** Pauses after failed passes: doubled per failure in a row, from 250 ms up to 5 s. */
const PASS_FAILURE_BACKOFF = { initialDelayMs: 250, maxDelayMs: 5_000 };

/** How often published events past their retention are deleted, and the time limit of that. */
const PURGE_INTERVAL_MS = 60_000;
const PURGE_TIMEOUT_MS = 10_000;

/** What stop() waits at most for the pass under way, which holds locked events and may be sending. */
const STOP_TIMEOUT_MS = 5_000;

export interface OutboxRelaySettings {
  pool: Pool;
  kafka: Kafka;
  /** Where the events go; created, if missing, before the first pass. */
  topic: TopicSpec;
  /** Pause after a pass that left nothing to publish. */
  pollIntervalMs: number;
  batchSize: number;
  /** Failed sends after which an event Kafka refuses is parked. */
  maxAttempts: number;
  /** Published events are kept this long (for inspection and replays), then deleted. */
  retentionMs: number;
  metrics: OrderMetrics;
  logger: Logger;
  /** The workshop fault flags: order-kafka-headers-dropped and order-relay-stalled act here. */
  faults: Faults;
}

export interface OutboxRelay {
  /** An event was just committed: publish now instead of at the next poll. */
  wake(): void;
  /** Ends the passes after the one under way (waiting up to `timeoutMs`) and disconnects. */
  stop(options?: { timeoutMs?: number }): Promise<void>;
}

/**
 * Publishes the outbox to Kafka, starting at once, for as long as it runs, and deletes published
 * events past their retention. It never gives up: a pass that fails (Kafka or PostgreSQL down) is
 * followed by another after a backoff that new events do not cut short, and the events wait in
 * the outbox meanwhile, so the service takes orders whether or not Kafka is there.
 */
export function startOutboxRelay(settings: OutboxRelaySettings): OutboxRelay {
  const { pool, logger } = settings;
  const publisher = createOutboxPublisher(settings);
  const stopObserving = settings.metrics.observeOutbox(() => countUnpublishedEvents(pool));
  const passes = startPeriodicJob({
    name: 'outbox relay',
    intervalMs: settings.pollIntervalMs,
    timeoutMs: PASS_TIMEOUT_MS,
    failureBackoff: PASS_FAILURE_BACKOFF,
    runAtStart: true,
    logger,
    run: (signal) => publisher.publishPass(signal),
  });
  const purge = startPeriodicJob({
    name: 'outbox purge',
    intervalMs: PURGE_INTERVAL_MS,
    timeoutMs: PURGE_TIMEOUT_MS,
    logger,
    run: async () => {
      const purged = await purgePublishedEvents(pool, settings.retentionMs);
      if (purged > 0) logger.debug({ purged }, 'purged published outbox events');
    },
  });
  return {
    wake: () => passes.wake(),
    async stop(options = {}) {
      const timeoutMs = options.timeoutMs ?? STOP_TIMEOUT_MS;
      await Promise.all([passes.stop({ timeoutMs }), purge.stop({ timeoutMs })]);
      stopObserving();
      await publisher.close();
    },
  };
}
