import { DEAD_LETTER_HEADERS, deadLetterTopic } from '@mesh/contracts';
import { inProcessSpan, type Logger, tracesEachMessage } from '@mesh/telemetry';
import {
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type IHeaders,
  Kafka,
  type KafkaMessage,
  logLevel,
  Partitioners,
  type Producer,
  type ProducerConfig,
  type RetryOptions,
} from 'kafkajs';
import { reportConsumerLag } from './consumer-lag';
import { AppError } from './errors';
import { createLimiter, type MessageOutcome, processInKeyOrder } from './key-ordered-batch';
import { backoff, pause } from './retry';
import { isTransientError } from './transient';

export type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';

export interface KafkaSettings {
  clientId: string;
  brokers: string[];
  logger: Logger;
  /** kafkajs's retry policy for a failing request; the default suits a service. */
  retry?: RetryOptions;
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/*
 * kafkajs's start-up notices that say nothing about Mesh, silenced here and only here, each for
 * a reason:
 * - The partitioner notice (kafkajs 2 changed its default partitioner from 1.x's): Mesh never ran
 *   kafkajs 1, so there is no older key-to-partition mapping to keep. Every producer made by
 *   createKafka's client names the default partitioner, which is what the notice asks for.
 * - The idempotent-producer notice (retries are limited, which "may invalidate EoS guarantees"):
 *   Mesh relies on no exactly-once delivery. Delivery is at-least-once and consumers deduplicate by
 *   event id; unlimited retries would instead hold a relay or a dead-lettering forever.
 * - Node's TimeoutNegativeWarning: kafkajs's request queue schedules its next check at a time that
 *   can already be past, i.e. a negative delay. Node then waits 1 ms, which is what kafkajs means.
 */
const HARMLESS_KAFKAJS_LINES = new Set([
  'Limiting retries for the idempotent producer may invalidate EoS guarantees',
]);

let negativeTimeoutWarningSilenced = false;

/** Drops Node's TimeoutNegativeWarning (see above), and no other warning, for the process. */
function silenceNegativeTimeoutWarning(): void {
  if (negativeTimeoutWarningSilenced) return;
  negativeTimeoutWarningSilenced = true;
  const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const [typeOrOptions] = rest;
    const type =
      warning instanceof Error
        ? warning.name
        : typeof typeOrOptions === 'string'
          ? typeOrOptions
          : (typeOrOptions as { type?: string } | undefined)?.type;
    if (type === 'TimeoutNegativeWarning') return;
    emitWarning(warning, ...rest);
  }) as typeof process.emitWarning;
}

/** Names the default partitioner for every producer (see above). */
class MeshKafka extends Kafka {
  override producer(config?: ProducerConfig): Producer {
    return super.producer({ createPartitioner: Partitioners.DefaultPartitioner, ...config });
  }
}

/**
 * A kafkajs client whose own log lines go through the service's pino logger (so they carry
 * trace ids and reach Loki), with bounded connection and request timeouts, and without the
 * start-up notices above.
 */
export function createKafka(settings: KafkaSettings): Kafka {
  const logger = settings.logger.child({ component: 'kafkajs' });
  silenceNegativeTimeoutWarning();
  return new MeshKafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    // kafkajs retries a failing request with backoff this many times before giving up on it.
    retry: settings.retry ?? { initialRetryTime: 300, maxRetryTime: 5_000, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }) => {
        const { message, ...extra } = log;
        if (HARMLESS_KAFKAJS_LINES.has(message)) return;
        logger[LEVELS[level] ?? 'info'](extra, message);
      },
  });
}

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  replicationFactor: number;
}

/** Partitions and replication of a topic a service creates. */
export type TopicLayout = Omit<TopicSpec, 'topic'>;

/**
 * The layout of every topic a Mesh service creates (order-events, dead-letter topics), from the
 * shared `kafkaSpec` variables: whichever service starts first creates order-events, so every
 * service that ensures it takes its layout from here.
 */
export function topicLayout(config: {
  TOPIC_PARTITIONS: number;
  TOPIC_REPLICATION_FACTOR: number;
}): TopicLayout {
  return {
    numPartitions: config.TOPIC_PARTITIONS,
    replicationFactor: config.TOPIC_REPLICATION_FACTOR,
  };
}

/**
 * Creates the topics a service needs, explicitly, with the partitions and replication its
 * config says. The broker's auto-create is off in every Mesh environment: a typo in a topic name
 * must fail loudly instead of creating a topic nobody reads. Existing topics are left alone.
 */
export async function ensureTopics(kafka: Kafka, topics: TopicSpec[]): Promise<void> {
  const admin: Admin = kafka.admin();
  try {
    // Inside the try: an admin whose connect failed still holds kafkajs's connection state.
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((spec) => !existing.has(spec.topic));
    if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** A message that can never be processed (unparseable, invalid): retrying will not help. */
export class PoisonMessageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PoisonMessageError';
  }
}

export interface ReceivedMessage {
  topic: string;
  partition: number;
  message: KafkaMessage;
  /** Header values as text. */
  headers: Record<string, string>;
}

export interface ConsumerSettings {
  kafka: Kafka;
  groupId: string;
  topic: string;
  logger: Logger;
  /** Processes one message. Throw PoisonMessageError for messages that can never succeed. */
  handle: (received: ReceivedMessage) => Promise<void>;
  /** Attempts for a failing message before it goes to the dead-letter topic. Default 3. */
  maxAttempts?: number;
  /** First pause between attempts (see retry.ts); doubled per attempt up to 5 s. Default 200 ms. */
  retryDelayMs?: number;
  /** Creates the topic and its dead-letter topic with this layout first, if they are missing. */
  createTopics?: TopicLayout;
  /**
   * Messages handled at once by this member, over all its partitions; messages with the same key
   * are never handled at once. Default DEFAULT_CONSUMER_CONCURRENCY.
   */
  concurrency?: number;
}

/** Messages a consumer handles at once unless told otherwise (see kafkaConsumerSpec). */
export const DEFAULT_CONSUMER_CONCURRENCY = 16;

/** How often a batch under way heartbeats and commits what is done (kafkajs throttles both). */
const BATCH_TICK_MS = 1_000;

export interface RunningConsumer {
  consumer: Consumer;
  stop(): Promise<void>;
}

function headersAsText(headers: IHeaders | undefined): Record<string, string> {
  const text: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) text[name] = first.toString();
  }
  return text;
}

/**
 * Runs a consumer group member that keeps up with a busy topic while keeping each key's order:
 * - its partitions are processed concurrently (kafkajs `partitionsConsumedConcurrently`);
 * - within a partition, a fetched batch is processed concurrently across message keys, and
 *   strictly in offset order within a key (see processInKeyOrder): for order events the key is
 *   the order id, so an order's events are handled one after the other;
 * - at most `concurrency` messages are handled at once, over all partitions;
 * - offsets are resolved, and committed, only up to the last message below which every message
 *   is done: a message still in hand (or given up at shutdown) is delivered again later, with
 *   those after it, which the handlers' deduplication by event id turns into no-ops;
 * - each message gets its own `process <topic>` span, the child of its `send` span, active while
 *   it is handled (see inProcessSpan in @mesh/telemetry).
 *
 * Failure policy, per message:
 * - infrastructure errors (see isTransientError) are retried with backoff for as long as they
 *   last, while the batch heartbeats: a database restart delays messages, it never loses them;
 * - any other error is retried `maxAttempts` times, then the message is published to the
 *   dead-letter topic `<topic>.<group>.dlq` with its original headers plus error headers, and
 *   counts as done, so the partition keeps flowing;
 * - during shutdown or a rebalance no further message is started, the messages in hand finish
 *   (a failing one is given up, uncommitted) and the batch ends.
 * Delivery is at-least-once: handlers must be idempotent.
 *
 * The consumer reports its lag per partition as a metric (see reportConsumerLag).
 */
export async function startConsumer(settings: ConsumerSettings): Promise<RunningConsumer> {
  const { kafka, groupId, topic, logger } = settings;
  const maxAttempts = settings.maxAttempts ?? 3;
  const concurrency = settings.concurrency ?? DEFAULT_CONSUMER_CONCURRENCY;
  const retryBackoff = { initialDelayMs: settings.retryDelayMs ?? 200, maxDelayMs: 5_000 };
  const dlqTopic = deadLetterTopic(topic, groupId);
  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
  });
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true });
  const lag = reportConsumerLag({ kafka, consumer, groupId, topic, logger });
  const limiter = createLimiter(concurrency);
  const stopping = new AbortController();

  async function deadLetter(received: ReceivedMessage, error: unknown, attempts: number) {
    const { message, partition } = received;
    const original = message.headers ?? {};
    const traceparent = received.headers.traceparent;
    await producer.send({
      topic: dlqTopic,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...original,
            [DEAD_LETTER_HEADERS.error]: error instanceof Error ? error.message : String(error),
            [DEAD_LETTER_HEADERS.attempts]: String(attempts),
            [DEAD_LETTER_HEADERS.topic]: topic,
            [DEAD_LETTER_HEADERS.partition]: String(partition),
            [DEAD_LETTER_HEADERS.offset]: message.offset,
            [DEAD_LETTER_HEADERS.group]: groupId,
            ...(traceparent ? { [DEAD_LETTER_HEADERS.traceparent]: traceparent } : {}),
          },
        },
      ],
    });
    logger.error(
      { err: error, topic, partition, offset: message.offset, dlqTopic, attempts },
      'message dead-lettered',
    );
  }

  /** Handles one message with the failure policy above; 'left' if the consumer stops first. */
  async function handleWithRetries(
    received: ReceivedMessage,
    keepGoing: () => boolean,
  ): Promise<MessageOutcome> {
    const { topic: from, partition, message } = received;
    const pauses = backoff(retryBackoff);
    for (let attempt = 1; ; attempt++) {
      try {
        await settings.handle(received);
        return 'done';
      } catch (error) {
        // Rethrown so that the process span records it; the caller leaves the message.
        if (!keepGoing()) throw error;
        // A 5xx of a peer service is its trouble, not the message's: wait it out too.
        const transient =
          !(error instanceof PoisonMessageError) &&
          (isTransientError(error) || (error instanceof AppError && error.isServerError));
        if (!transient && attempt >= maxAttempts) {
          await deadLetter(received, error, attempt);
          return 'done';
        }
        logger.warn(
          { err: error, topic: from, partition, offset: message.offset, attempt, transient },
          'message failed; retrying',
        );
        await pause(pauses.next(), stopping.signal);
        if (!keepGoing()) throw error;
      }
    }
  }

  async function processMessage(
    from: string,
    partition: number,
    message: KafkaMessage,
    keepGoing: () => boolean,
  ): Promise<MessageOutcome> {
    const headers = headersAsText(message.headers);
    const received = { topic: from, partition, message, headers };
    const traced = { topic: from, partition, offset: message.offset, headers };
    try {
      return await inProcessSpan({ ...traced, key: message.key?.toString() }, () =>
        handleWithRetries(received, keepGoing),
      );
    } catch (error) {
      if (keepGoing()) throw error;
      logger.warn(
        { err: error, topic: from, partition, offset: message.offset },
        'message left for redelivery: the consumer stops',
      );
      return 'left';
    }
  }

  const eachBatch = async (payload: EachBatchPayload) => {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } =
      payload;
    // A heartbeat that fails (the group rebalances) ends the batch and goes to kafkajs.
    let lostMembership: unknown;
    const keepGoing = () =>
      !stopping.signal.aborted && isRunning() && !isStale() && lostMembership === undefined;
    const tick = setInterval(() => {
      heartbeat()
        .then(() => commitOffsetsIfNecessary())
        .catch((error: unknown) => {
          lostMembership ??= error;
        });
    }, BATCH_TICK_MS);
    try {
      await processInKeyOrder({
        messages: batch.messages,
        limiter,
        keepGoing,
        process: (message) => processMessage(batch.topic, batch.partition, message, keepGoing),
        completed: (offset) => {
          resolveOffset(offset);
          lag.processed(batch.topic, batch.partition, offset);
        },
      });
    } finally {
      clearInterval(tick);
    }
    if (lostMembership !== undefined) throw lostMembership;
  };

  try {
    if (settings.createTopics) {
      await ensureTopics(kafka, [
        { topic, ...settings.createTopics },
        { topic: dlqTopic, ...settings.createTopics },
      ]);
    }
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: concurrency,
      // Offsets are resolved by processInKeyOrder, never past a message that is not done.
      eachBatchAutoResolve: false,
      // What is done in a long batch is committed every few seconds, not only at its end.
      autoCommitInterval: 5_000,
      eachBatch: tracesEachMessage(eachBatch),
    });
  } catch (error) {
    // A start that failed half-way may hold sockets and kafkajs's reconnect timers; a caller
    // that tries again (startConsumerInBackground) would otherwise leak a pair per attempt.
    await Promise.allSettled([consumer.disconnect(), producer.disconnect(), lag.stop()]);
    throw error;
  }
  return {
    consumer,
    stop: async () => {
      stopping.abort();
      await consumer.disconnect();
      await producer.disconnect();
      await lag.stop();
    },
  };
}

export interface BackgroundConsumer extends RunningConsumer {
  /** Resolves once the consumer runs (never rejects: attempts repeat until stopped). */
  started: Promise<void>;
}

/**
 * Starts a consumer without making the service's start wait for Kafka: the attempt is repeated
 * with backoff until the broker answers, while the service already serves HTTP. A service whose
 * HTTP side works without Kafka (inventory) must not fail its start because the broker is down.
 *
 * `stop()` stops a consumer that runs. One that never started has no group membership and no
 * offsets to hand back, so stop() does not wait for an attempt under way (against a broker that
 * does not answer, one attempt lasts kafkajs's whole retry budget, longer than a shutdown may
 * take): that attempt stops whatever it manages to start.
 */
export function startConsumerInBackground(settings: ConsumerSettings): BackgroundConsumer {
  let running: RunningConsumer | undefined;
  const stopping = new AbortController();
  const pauses = backoff({ initialDelayMs: 500, maxDelayMs: 10_000 });
  const started = (async () => {
    while (!stopping.signal.aborted) {
      try {
        const consumer = await startConsumer(settings);
        if (stopping.signal.aborted) {
          await consumer.stop();
          return;
        }
        running = consumer;
        return;
      } catch (error) {
        if (stopping.signal.aborted) return;
        settings.logger.warn(
          { err: error, attempt: pauses.failures + 1, topic: settings.topic },
          'consumer start failed; retrying',
        );
        await pause(pauses.next(), stopping.signal);
      }
    }
  })();
  return {
    started,
    get consumer() {
      if (!running) throw new Error('the consumer has not started yet');
      return running.consumer;
    },
    stop: async () => {
      stopping.abort();
      await running?.stop();
    },
  };
}

/**
 * The JSON payload of a message, checked against its contract schema. Anything else can never
 * be processed however often it is retried: a PoisonMessageError, so the consumer dead-letters it.
 */
export function parseMessage<T>(
  received: ReceivedMessage,
  validator: (value: unknown) => boolean,
  what: string,
): T {
  let value: unknown;
  try {
    value = JSON.parse(received.message.value?.toString() ?? '');
  } catch (error) {
    throw new PoisonMessageError(`the ${what} is not JSON`, { cause: error });
  }
  if (!validator(value)) {
    const errors = (validator as { errors?: { instancePath?: string; message?: string }[] | null })
      .errors;
    const first = errors?.[0];
    const where = first ? `: ${first.instancePath || '/'} ${first.message ?? ''}` : '';
    throw new PoisonMessageError(`the ${what} is invalid${where}`.trim());
  }
  return value as T;
}
