import { Kafka, logLevel } from 'kafkajs';

/** One look at the topic and each consumer group. */
export interface LagSample {
  /** Seconds since the sampler started. */
  t: number;
  /** Sum over partitions of the topic's end offsets: events produced so far. */
  produced: number;
  /** Per group: sum of committed offsets (events processed) and lag (end − committed). */
  groups: Record<string, { committed: number; lag: number }>;
}

/**
 * Consumer lag read from the broker (no service exports a lag gauge): the topic's end offsets
 * against each group's committed offsets, once per interval, with kafkajs' admin client.
 */
export interface LagSampler {
  samples(): readonly LagSample[];
  stop(): Promise<void>;
}

/** Events per offset unit: a partition with no commit yet counts as 0 processed. */
export function lagOf(ends: Map<number, number>, committed: Map<number, number>) {
  let lag = 0;
  let done = 0;
  for (const [partition, end] of ends) {
    const offset = Math.max(0, committed.get(partition) ?? 0);
    done += offset;
    lag += Math.max(0, end - offset);
  }
  return { committed: done, lag };
}

export async function startLagSampler(options: {
  brokers: string[];
  topic: string;
  groups: readonly string[];
  intervalMs: number;
}): Promise<LagSampler> {
  const kafka = new Kafka({
    clientId: 'mesh-bench',
    brokers: options.brokers,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const started = Date.now();
  const samples: LagSample[] = [];
  let stopped = false;

  const sampleOnce = async () => {
    const topicOffsets = await admin.fetchTopicOffsets(options.topic);
    const ends = new Map(topicOffsets.map((p) => [p.partition, Number(p.high)]));
    const groups: LagSample['groups'] = {};
    for (const group of options.groups) {
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [options.topic] });
      const offsets = new Map(
        (committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]),
      );
      groups[group] = lagOf(ends, offsets);
    }
    samples.push({
      t: (Date.now() - started) / 1000,
      produced: [...ends.values()].reduce((a, b) => a + b, 0),
      groups,
    });
  };

  const loop = (async () => {
    while (!stopped) {
      const due = Date.now() + options.intervalMs;
      try {
        await sampleOnce();
      } catch {
        // a sample lost to a broker hiccup leaves a gap in the series, nothing more
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
    }
  })();

  return {
    samples: () => samples,
    stop: async () => {
      stopped = true;
      await loop;
      await admin.disconnect();
    },
  };
}
