import { createLogger } from '@mesh/telemetry';
import { eventually, startKafka, type TestKafka, uniqueName } from '@mesh/testkit';
import {
  AppError,
  createKafka,
  type Kafka,
  type ReceivedMessage,
  type RunningConsumer,
  startConsumer,
} from '../src';

/*
 * How startConsumer gets through a busy topic against a real broker: partitions and keys in
 * parallel, each key in order, and offsets committed only below what is done.
 */
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('startConsumer: concurrency across keys, order within a key (real Kafka)', () => {
  let broker: TestKafka;
  let kafka: Kafka;
  const running: RunningConsumer[] = [];

  beforeAll(async () => {
    broker = await startKafka();
    kafka = createKafka({ clientId: 'consumer-concurrency-test', brokers: broker.brokers, logger });
  });
  afterAll(async () => {
    await Promise.allSettled(running.map((consumer) => consumer.stop()));
    await broker?.stop();
  });

  async function publish(topic: string, messages: { key: string; value: string }[]) {
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      await producer.send({ topic, messages });
    } finally {
      await producer.disconnect();
    }
  }

  async function consume(
    settings: { topic: string; groupId: string; partitions: number; concurrency?: number },
    handle: (received: ReceivedMessage) => Promise<void>,
  ): Promise<RunningConsumer> {
    const consumer = await startConsumer({
      kafka,
      topic: settings.topic,
      groupId: settings.groupId,
      logger,
      handle,
      retryDelayMs: 10,
      concurrency: settings.concurrency,
      createTopics: { numPartitions: settings.partitions, replicationFactor: 1 },
    });
    running.push(consumer);
    return consumer;
  }

  /** The group's committed offset of partition 0 ('-1' when nothing is committed yet). */
  async function committedOffset(groupId: string, topic: string): Promise<string> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return committed?.partitions.find((p) => p.partition === 0)?.offset ?? '-1';
    } finally {
      await admin.disconnect();
    }
  }

  /** Tracks the messages in hand: the most at once, and any key handled twice at once. */
  function inHand() {
    const keys = new Map<string, number>();
    const state = { now: 0, most: 0, sameKeyOverlaps: 0 };
    return {
      state,
      async around(key: string, work: () => Promise<void>) {
        state.now += 1;
        state.most = Math.max(state.most, state.now);
        const holding = (keys.get(key) ?? 0) + 1;
        keys.set(key, holding);
        if (holding > 1) state.sameKeyOverlaps += 1;
        try {
          await work();
        } finally {
          keys.set(key, (keys.get(key) ?? 1) - 1);
          state.now -= 1;
        }
      },
    };
  }

  it('when many keys over 3 partitions are handled at once, then each key sees its messages in the order they were sent, never two at a time', async () => {
    const topic = uniqueName('order-per-key');
    const keys = Array.from({ length: 20 }, (_, index) => `order-${index}`);
    const perKey = 15;
    const seen = new Map<string, number[]>();
    const tracker = inHand();
    await consume({ topic, groupId: uniqueName('order-per-key'), partitions: 3 }, (received) => {
      const key = received.message.key?.toString() ?? '';
      return tracker.around(key, async () => {
        await sleep(Math.random() * 8);
        const sequence = Number(received.message.value?.toString().split(':')[1]);
        seen.set(key, [...(seen.get(key) ?? []), sequence]);
      });
    });

    // Interleaved: order-0:0, order-1:0, …, order-0:1, …
    const messages = Array.from({ length: perKey }, (_, sequence) =>
      keys.map((key) => ({ key, value: `${key}:${sequence}` })),
    ).flat();
    await publish(topic, messages);
    await eventually(
      () => ([...seen.values()].flat().length >= messages.length ? true : undefined),
      'every message handled',
      { timeoutMs: 60_000 },
    );

    const inOrder = Array.from({ length: perKey }, (_, sequence) => sequence);
    for (const key of keys) expect(seen.get(key)).toEqual(inOrder);
    expect(tracker.state.sameKeyOverlaps).toBe(0);
    expect(tracker.state.most).toBeGreaterThan(1);
  });

  it('when the handler takes 40 ms, then 300 messages over 3 partitions and 100 keys take a fraction of the time one at a time would', async () => {
    const topic = uniqueName('slow-handler');
    const handlerMs = 40;
    const count = 300;
    const tracker = inHand();
    let firstStart = 0;
    let lastEnd = 0;
    let handled = 0;
    await consume({ topic, groupId: uniqueName('slow-handler'), partitions: 3 }, (received) =>
      tracker.around(received.message.key?.toString() ?? '', async () => {
        firstStart ||= Date.now();
        await sleep(handlerMs);
        handled += 1;
        lastEnd = Date.now();
      }),
    );

    await publish(
      topic,
      Array.from({ length: count }, (_, index) => ({
        key: `order-${index % 100}`,
        value: `${index}`,
      })),
    );
    await eventually(() => (handled >= count ? true : undefined), 'every message handled', {
      timeoutMs: 60_000,
    });

    const oneAtATimeMs = count * handlerMs;
    const tookMs = lastEnd - firstStart;
    process.stdout.write(
      `${count} messages of ${handlerMs} ms: ${tookMs} ms (one at a time: ${oneAtATimeMs} ms), at most ${tracker.state.most} at once\n`,
    );
    // The default concurrency is 16; on a busy machine the batches' ends cost some of it.
    expect(tracker.state.most).toBeGreaterThanOrEqual(8);
    expect(tookMs).toBeLessThan(oneAtATimeMs / 4);
  });

  it('when one message keeps failing while later ones finish, then the committed offset stays on it, and after a restart it is delivered again', async () => {
    const topic = uniqueName('unfinished');
    const groupId = uniqueName('unfinished');
    const firstRun: string[] = [];
    let failing = true;
    const handle = async ({ message }: ReceivedMessage) => {
      if (message.key?.toString() === 'stuck' && failing) {
        // Transient: retried for as long as the consumer runs, never dead-lettered.
        throw new AppError('dependency-unavailable', { detail: 'the database is restarting' });
      }
      firstRun.push(message.offset);
    };
    const first = await consume({ topic, groupId, partitions: 1 }, handle);
    await publish(
      topic,
      Array.from({ length: 10 }, (_, index) => ({
        key: index === 2 ? 'stuck' : `order-${index}`,
        value: `${index}`,
      })),
    );
    await eventually(() => (firstRun.length === 9 ? true : undefined), 'the other nine handled');
    // Progress is committed every few seconds during a batch: up to the stuck message, no further.
    await eventually(
      async () => ((await committedOffset(groupId, topic)) === '2' ? true : undefined),
      'offset 2 committed',
      { timeoutMs: 20_000 },
    );
    expect(firstRun).toEqual(['0', '1', '3', '4', '5', '6', '7', '8', '9']);

    await first.stop();
    expect(await committedOffset(groupId, topic)).toBe('2');

    failing = false;
    const secondRun: string[] = [];
    await consume({ topic, groupId, partitions: 1 }, async ({ message }) => {
      secondRun.push(message.offset);
    });
    await eventually(() => (secondRun.length === 8 ? true : undefined), 'the redelivery');
    // At-least-once: the stuck message comes again, and the finished ones after it with it.
    expect([...secondRun].sort((a, b) => Number(a) - Number(b))).toEqual([
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
    ]);
  });

  it('when the consumer stops mid-batch, then the messages in hand finish first, none is started after, and the next member starts at the first message not done', async () => {
    const topic = uniqueName('mid-batch');
    const groupId = uniqueName('mid-batch');
    const count = 40;
    const done = new Set<number>();
    const tracker = inHand();
    let startedAfterStop = 0;
    let stopCalled = false;
    const first = await consume({ topic, groupId, partitions: 1, concurrency: 4 }, (received) =>
      tracker.around(received.message.key?.toString() ?? '', async () => {
        if (stopCalled) startedAfterStop += 1;
        await sleep(100);
        done.add(Number(received.message.offset));
      }),
    );
    await publish(
      topic,
      Array.from({ length: count }, (_, index) => ({ key: `order-${index}`, value: `${index}` })),
    );
    await eventually(() => (done.size >= 8 ? true : undefined), 'a few messages done');

    stopCalled = true;
    await first.stop();
    expect(tracker.state.now).toBe(0);
    expect(startedAfterStop).toBe(0);
    expect(done.size).toBeLessThan(count);
    const committed = Number(await committedOffset(groupId, topic));
    // Everything below the committed offset is done; the first message not done is at it.
    for (let offset = 0; offset < committed; offset += 1) expect(done.has(offset)).toBe(true);
    expect(done.has(committed)).toBe(false);

    const redelivered: number[] = [];
    await consume({ topic, groupId, partitions: 1, concurrency: 4 }, async ({ message }) => {
      redelivered.push(Number(message.offset));
    });
    await eventually(
      () => (redelivered.length >= count - committed ? true : undefined),
      'the rest delivered',
    );
    expect(Math.min(...redelivered)).toBe(committed);
    const everyOffset = new Set([...done, ...redelivered]);
    expect(everyOffset.size).toBe(count);
  });
});
