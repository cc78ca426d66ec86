import type { KafkaMessage } from 'kafkajs';

/** At most `slots` tasks run at once; the others wait their turn, first come first served. */
export interface Limiter {
  run<T>(task: () => Promise<T>): Promise<T>;
}

export function createLimiter(slots: number): Limiter {
  let free = slots;
  const waiting: (() => void)[] = [];
  return {
    async run(task) {
      if (free > 0) free -= 1;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await task();
      } finally {
        // The slot goes straight to the next in line, so a newcomer cannot overtake it.
        const next = waiting.shift();
        if (next) next();
        else free += 1;
      }
    },
  };
}

/** What became of one message: handled (or dead-lettered), or left for a later delivery. */
export type MessageOutcome = 'done' | 'left';

export interface KeyOrderedBatch {
  messages: KafkaMessage[];
  limiter: Limiter;
  /** Handles one message; 'left' when the consumer stops before the message is done. */
  process: (message: KafkaMessage) => Promise<MessageOutcome>;
  /**
   * Called with each offset, in offset order, once it and every message before it in the batch
   * are done: the offset a consumer may resolve and commit.
   */
  completed: (offset: string) => void;
  /** False once the consumer stops or loses the partition: no further message is started. */
  keepGoing: () => boolean;
}

/** Messages without a key have no order to keep but the partition's: they share one lane. */
const NO_KEY = Symbol('no key');

/**
 * Processes the messages of one partition's batch concurrently across keys and strictly in turn
 * within a key (Kafka orders a key's messages by offset; for order events the key is the order
 * id, so an order's events apply in the order they happened). A key whose message is left stops
 * there: its later messages are not started. Resolves once every lane has finished; if a
 * message's processing threw, with the first such error, after the other lanes finished.
 */
export async function processInKeyOrder(batch: KeyOrderedBatch): Promise<void> {
  const { messages, limiter, process, completed, keepGoing } = batch;
  const lanes = new Map<string | typeof NO_KEY, number[]>();
  messages.forEach((message, index) => {
    const key = message.key ? message.key.toString('latin1') : NO_KEY;
    const lane = lanes.get(key);
    if (lane) lane.push(index);
    else lanes.set(key, [index]);
  });

  const done = new Array<boolean>(messages.length).fill(false);
  let firstNotDone = 0;
  const markDone = (index: number) => {
    done[index] = true;
    while (firstNotDone < messages.length && done[firstNotDone]) {
      completed((messages[firstNotDone] as KafkaMessage).offset);
      firstNotDone += 1;
    }
  };

  const runLane = async (indexes: number[]) => {
    for (const index of indexes) {
      const message = messages[index] as KafkaMessage;
      const outcome = await limiter.run(async () => (keepGoing() ? process(message) : 'left'));
      if (outcome === 'left') return;
      markDone(index);
    }
  };

  const results = await Promise.allSettled([...lanes.values()].map(runLane));
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
}
