import { type Attributes, metrics, type ObservableResult } from '@opentelemetry/api';
import type { Consumer } from 'kafkajs';

/**
 * The consumer lag metric, named in the style of the messaging semantic conventions under Mesh's
 * prefix: the conventions define no lag metric (their messaging metrics are durations and
 * message counts). Its attributes are the conventions' messaging consumer metric attributes.
 * https://opentelemetry.io/docs/specs/semconv/messaging/messaging-metrics/
 */
export const CONSUMER_LAG_METRIC = 'mesh.messaging.kafka.consumer.lag';

interface PartitionLag {
  topic: string;
  partition: number;
  lag: number;
}

const key = (topic: string, partition: number) => `${topic}|${partition}`;

/**
 * Reports how many messages this group member has not processed yet, per topic and partition,
 * from kafkajs's own batch events, so a service shows its lag without asking the broker (the
 * collector's kafkametrics receiver does that in compose, per group).
 *
 * Lag = the partition's high watermark minus the next offset to process, known only at the edges
 * of a batch, from the high watermark the batch was fetched with:
 * - START_BATCH_PROCESS: the batch is still to do, so the lag is high watermark - first offset;
 * - END_BATCH_PROCESS: kafkajs's offsetLag, what was left beyond the batch when it was fetched.
 * In between the value stands still: a batch of 40 slow messages shows 40 until it is done.
 * kafkajs fetches everything waiting (up to 1 MB per partition), so a slow consumer's backlog is
 * in its batch, not left on the broker: END_BATCH_PROCESS alone would read about 0 for it, and
 * messages that arrive while a batch runs count from the next batch on. A partition that gets no
 * batch (an idle topic, or a consumer stuck in one message) keeps its last value.
 *
 * Returns a function that stops reporting (on shutdown, or when the start failed).
 */
export function reportConsumerLag(consumer: Consumer, groupId: string): () => void {
  const partitions = new Map<string, PartitionLag>();
  const record = (topic: string, partition: number, lag: number) => {
    partitions.set(key(topic, partition), { topic, partition, lag: Math.max(0, lag) });
  };
  const removeListeners = [
    consumer.on(consumer.events.START_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize === 0) return;
      record(payload.topic, payload.partition, Number(payload.offsetLagLow) + 1);
    }),
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      record(payload.topic, payload.partition, Number(payload.offsetLag));
    }),
    // After a rebalance, a partition that went to another member is that member's to report.
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const assigned = new Set(
        Object.entries(payload.memberAssignment).flatMap(([topic, ids]) =>
          ids.map((partition) => key(topic, partition)),
        ),
      );
      for (const partition of partitions.keys()) {
        if (!assigned.has(partition)) partitions.delete(partition);
      }
    }),
  ];

  // Taken here, not at module load, so that it is the meter of the SDK the process started.
  const gauge = metrics.getMeter('@mesh/service-kit').createObservableGauge(CONSUMER_LAG_METRIC, {
    description:
      'Messages of a partition this consumer has not processed yet, as of its last batch start or end',
    unit: '{message}',
  });
  const observe = (result: ObservableResult<Attributes>) => {
    for (const { topic, partition, lag } of partitions.values()) {
      result.observe(lag, {
        'messaging.system': 'kafka',
        'messaging.consumer.group.name': groupId,
        'messaging.destination.name': topic,
        'messaging.destination.partition.id': String(partition),
      });
    }
  };
  gauge.addCallback(observe);

  return () => {
    gauge.removeCallback(observe);
    for (const remove of removeListeners) remove();
    partitions.clear();
  };
}
