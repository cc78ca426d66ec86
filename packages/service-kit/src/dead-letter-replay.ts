import { parseArgs } from 'node:util';
import { DEAD_LETTER_HEADERS, deadLetterTopic } from '@mesh/contracts';
import type { Logger } from '@mesh/telemetry';
import type { IHeaders, Kafka } from 'kafkajs';
import { createKafka } from './kafka';

// Sends dead-lettered messages back where they came from, once whatever made them fail is fixed.
// Consumers are idempotent (they claim each event id), so replaying a message twice is harmless.

export interface ReplaySettings {
  kafka: Kafka;
  /** The dead-letter topic to read, `<topic>.<group>.dlq` (see deadLetterTopic). */
  dlqTopic: string;
  logger: Logger;
  /** Replays at most this many messages; the rest wait for the next run. Default: all. */
  limit?: number;
  /** Gives up when no message arrives for this long although some are due. Default 30 s. */
  idleTimeoutMs?: number;
}

export interface ReplayResult {
  replayed: number;
  /** Messages that were in the dead-letter topic when the replay started and are still there. */
  left: number;
}

const ADDED_BY_DEAD_LETTERING = new Set<string>(Object.values(DEAD_LETTER_HEADERS));

/**
 * The headers a message had before it was dead-lettered: without the error headers, and with
 * its producer's traceparent back (the dead-letter publish may have put its own in its place).
 */
export function headersBeforeDeadLettering(headers: IHeaders | undefined): IHeaders {
  const original: IHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!ADDED_BY_DEAD_LETTERING.has(name) && name !== 'traceparent') original[name] = value;
  }
  const traceparent = headers?.[DEAD_LETTER_HEADERS.traceparent];
  if (traceparent !== undefined) original.traceparent = traceparent;
  return original;
}

/** The consumer group whose committed offsets say what of a dead-letter topic was replayed. */
export function replayGroupId(dlqTopic: string): string {
  return `${dlqTopic}.replay`;
}

interface PartitionRange {
  /** The first offset not replayed yet. */
  next: bigint;
  /** The end of the partition when the replay started: later arrivals wait for the next run. */
  end: bigint;
}

/** What each partition holds that was not replayed before, up to its end at this moment. */
async function dueRanges(kafka: Kafka, dlqTopic: string): Promise<Map<number, PartitionRange>> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const [ends, [committed]] = await Promise.all([
      admin.fetchTopicOffsets(dlqTopic),
      admin.fetchOffsets({ groupId: replayGroupId(dlqTopic), topics: [dlqTopic] }),
    ]);
    const committedOf = new Map(
      committed?.partitions.map((p) => [p.partition, BigInt(p.offset)]) ?? [],
    );
    const due = new Map<number, PartitionRange>();
    for (const { partition, low, high } of ends) {
      const done = committedOf.get(partition) ?? -1n;
      const next = done > BigInt(low) ? done : BigInt(low);
      if (next < BigInt(high)) due.set(partition, { next, end: BigInt(high) });
    }
    return due;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Republishes the messages of a dead-letter topic to the topic each came from (header
 * `mesh-dlq-original-topic`), with its original key, value and headers, and commits each one
 * in the group `<dlqTopic>.replay` once the broker took it: a run replays what no run replayed
 * before. Only the messages there at the start are replayed, so one that fails again and comes
 * back waits for the next run instead of circling.
 */
export async function replayDeadLetters(settings: ReplaySettings): Promise<ReplayResult> {
  const { kafka, dlqTopic, logger } = settings;
  const due = await dueRanges(kafka, dlqTopic);
  const total = [...due.values()].reduce((sum, range) => sum + Number(range.end - range.next), 0);
  const wanted = Math.min(settings.limit ?? total, total);
  if (wanted === 0) return { replayed: 0, left: total };

  const consumer = kafka.consumer({
    groupId: replayGroupId(dlqTopic),
    allowAutoTopicCreation: false,
  });
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true });
  let replayed = 0;
  try {
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic: dlqTopic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      let finished = false;
      const idleTimeoutMs = settings.idleTimeoutMs ?? 30_000;
      let idle: NodeJS.Timeout;
      const finish = (error?: unknown) => {
        if (finished) return;
        finished = true;
        clearTimeout(idle);
        if (error === undefined) resolve();
        else reject(error);
      };
      const waitForMore = () => {
        clearTimeout(idle);
        idle = setTimeout(
          () =>
            finish(
              new Error(`no dead letter arrived for ${idleTimeoutMs} ms; ${replayed} replayed`),
            ),
          idleTimeoutMs,
        );
      };
      waitForMore();
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const range = due.get(partition);
            const offset = BigInt(message.offset);
            if (finished || !range || offset < range.next || offset >= range.end) return;
            try {
              const topic = message.headers?.[DEAD_LETTER_HEADERS.topic]?.toString();
              if (!topic) {
                throw new Error(
                  `${dlqTopic} ${partition}/${message.offset} has no ${DEAD_LETTER_HEADERS.topic} header`,
                );
              }
              await producer.send({
                topic,
                messages: [
                  {
                    key: message.key,
                    value: message.value,
                    headers: headersBeforeDeadLettering(message.headers),
                  },
                ],
              });
              const next = offset + 1n;
              await consumer.commitOffsets([
                { topic: dlqTopic, partition, offset: next.toString() },
              ]);
              replayed += 1;
              range.next = next;
              logger.info({ dlqTopic, partition, offset: message.offset, topic }, 'replayed');
              if (next >= range.end) due.delete(partition);
              if (replayed >= wanted || due.size === 0) finish();
              else waitForMore();
            } catch (error) {
              finish(error);
            }
          },
        })
        .catch(finish);
    });
  } finally {
    await Promise.allSettled([consumer.disconnect(), producer.disconnect()]);
  }
  return { replayed, left: total - replayed };
}

export interface ReplayCommand {
  /** The consumer's topic and group: the dead-letter topic is `<topic>.<group>.dlq`. */
  topic: string;
  groupId: string;
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** The command's arguments: `[--limit N]`. */
  argv: string[];
}

/**
 * The `dlq:replay` command of a consumer service: replays the service's dead-letter topic
 * (`--limit N` messages at most) and logs what it did.
 */
export async function runDeadLetterReplay(command: ReplayCommand): Promise<ReplayResult> {
  // `pnpm run x -- --limit 5` passes the `--` along.
  const args = command.argv[0] === '--' ? command.argv.slice(1) : command.argv;
  const { values } = parseArgs({ args, options: { limit: { type: 'string' } }, strict: true });
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new Error(`--limit takes a whole number above 0, not "${values.limit}"`);
  }
  const dlqTopic = deadLetterTopic(command.topic, command.groupId);
  const kafka = createKafka({
    clientId: command.clientId,
    brokers: command.brokers,
    logger: command.logger,
  });
  const result = await replayDeadLetters({ kafka, dlqTopic, logger: command.logger, limit });
  command.logger.info({ dlqTopic, ...result }, 'dead letters replayed');
  return result;
}
