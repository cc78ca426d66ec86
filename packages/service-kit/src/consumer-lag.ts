import type { Logger } from '@mesh/telemetry';
import { type Attributes, metrics, type ObservableResult } from '@opentelemetry/api';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import { type PeriodicJob, startPeriodicJob } from './periodic-job';

/**
 * The consumer lag metric, named in the style of the messaging semantic conventions under Mesh's
 * prefix: the conventions define no lag metric (their messaging metrics are durations and
 * message counts). Its attributes are the conventions' messaging consumer metric attributes.
 * https://opentelemetry.io/docs/specs/semconv/messaging/messaging-metrics/
 */
export const CONSUMER_LAG_METRIC = 'mesh.messaging.kafka.consumer.lag';

/** How often the partitions' end offsets are asked of the broker. */
const END_OFFSETS_REFRESH_MS = 5_000;

interface PartitionPosition {
  topic: string;
  partition: number;
  /** The partition's end offset: the offset the next message written to it will get. */
  highWatermark: number;
  /** The offset of the next message this member will process. */
  next: number;
}

export interface ConsumerLag {
  /** The message at `offset` is done with (handled or dead-lettered). */
  processed(topic: string, partition: number, offset: string): void;
  stop(): Promise<void>;
}

const key = (topic: string, partition: number) => `${topic}|${partition}`;

/**
 * Reports how many messages of each partition this group member has not processed yet, so a
 * service shows its own lag, natively as in compose (where the collector's kafkametrics receiver
 * also reports it per group, from the committed offsets).
 *
 * Lag = end offset - next offset to process, both as this member knows them:
 * - the next offset moves with every processed message, and with kafkajs's batch events
 *   (START_BATCH_PROCESS: the batch's first offset; END_BATCH_PROCESS: past its last);
 * - the end offset comes with every fetched batch (its high watermark) and from the broker every
 *   5 s. The batches alone would not do: kafkajs fetches everything waiting (up to 1 MB per
 *   partition) and fetches again only once the batch is done, so a slow consumer holds its whole
 *   backlog in one batch and END_BATCH_PROCESS's offsetLag reads about 0 while messages pile up.
 * So the value is at most about 5 s behind (plus the metric export interval). A partition is
 * reported once this member has had a batch of it, until a rebalance gives it to another member.
 */
export function reportConsumerLag(settings: {
  kafka: Kafka;
  consumer: Consumer;
  groupId: string;
  topic: string;
  logger: Logger;
}): ConsumerLag {
  const { kafka, consumer, groupId, topic, logger } = settings;
  const partitions = new Map<string, PartitionPosition>();
  const position = (at: string, partition: number): PartitionPosition => {
    const known = partitions.get(key(at, partition));
    if (known) return known;
    const created = { topic: at, partition, highWatermark: 0, next: 0 };
    partitions.set(key(at, partition), created);
    return created;
  };
  const seeEnd = (state: PartitionPosition, highWatermark: string) => {
    state.highWatermark = Math.max(state.highWatermark, Number(highWatermark));
  };

  const removeListeners = [
    consumer.on(consumer.events.START_BATCH_PROCESS, ({ payload }) => {
      const state = position(payload.topic, payload.partition);
      seeEnd(state, payload.highWatermark);
      if (payload.batchSize > 0) state.next = Number(payload.firstOffset);
    }),
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const state = position(payload.topic, payload.partition);
      seeEnd(state, payload.highWatermark);
      state.next = Number(payload.lastOffset) + 1;
    }),
    // After a rebalance, a partition that went to another member is that member's to report.
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const assigned = new Set(
        Object.entries(payload.memberAssignment).flatMap(([at, ids]) =>
          ids.map((partition) => key(at, partition)),
        ),
      );
      for (const partition of partitions.keys()) {
        if (!assigned.has(partition)) partitions.delete(partition);
      }
    }),
  ];

  let admin: Admin | undefined;
  const refresh: PeriodicJob = startPeriodicJob({
    name: `${topic} end offsets for the consumer lag`,
    intervalMs: END_OFFSETS_REFRESH_MS,
    timeoutMs: END_OFFSETS_REFRESH_MS,
    failureBackoff: { initialDelayMs: END_OFFSETS_REFRESH_MS, maxDelayMs: 60_000 },
    logger,
    run: async () => {
      if (partitions.size === 0) return;
      if (!admin) {
        const connecting = kafka.admin();
        await connecting.connect();
        admin = connecting;
      }
      for (const { partition, high } of await admin.fetchTopicOffsets(topic)) {
        const state = partitions.get(key(topic, partition));
        if (state) seeEnd(state, high);
      }
    },
  });

  // Taken here, not at module load, so that it is the meter of the SDK the process started.
  const gauge = metrics.getMeter('@mesh/service-kit').createObservableGauge(CONSUMER_LAG_METRIC, {
    description: 'Messages of a partition this consumer group member has not processed yet',
    unit: '{message}',
  });
  const observe = (result: ObservableResult<Attributes>) => {
    for (const state of partitions.values()) {
      result.observe(Math.max(0, state.highWatermark - state.next), {
        'messaging.system': 'kafka',
        'messaging.consumer.group.name': groupId,
        'messaging.destination.name': state.topic,
        'messaging.destination.partition.id': String(state.partition),
      });
    }
  };
  gauge.addCallback(observe);

  return {
    processed(at, partition, offset) {
      position(at, partition).next = Number(offset) + 1;
    },
    async stop() {
      gauge.removeCallback(observe);
      for (const remove of removeListeners) remove();
      await refresh.stop();
      await admin?.disconnect();
      partitions.clear();
    },
  };
}
