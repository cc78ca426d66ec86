import { DEAD_LETTER_HEADERS, deadLetterTopic } from '@mesh/contracts';
import { createLogger } from '@mesh/telemetry';
import { eventually, startKafka, type TestKafka, uniqueName } from '@mesh/testkit';
import type { KafkaMessage } from 'kafkajs';
import {
  createKafka,
  headersBeforeDeadLettering,
  type Kafka,
  PoisonMessageError,
  type RunningConsumer,
  replayDeadLetters,
  runDeadLetterReplay,
  startConsumer,
} from '../src';

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('headersBeforeDeadLettering', () => {
  it("when the dead-letter publish put its own traceparent in, then the producer's comes back and the error headers go", () => {
    const headers = headersBeforeDeadLettering({
      traceparent: '00-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbb-01',
      baggage: 'tenant=workshop',
      [DEAD_LETTER_HEADERS.traceparent]: TRACEPARENT,
      [DEAD_LETTER_HEADERS.error]: 'boom',
      [DEAD_LETTER_HEADERS.attempts]: '3',
      [DEAD_LETTER_HEADERS.topic]: 'order-events',
    });
    expect(headers).toEqual({ traceparent: TRACEPARENT, baggage: 'tenant=workshop' });
  });

  it('when the original message had no traceparent, then the replay carries none', () => {
    expect(
      headersBeforeDeadLettering({
        traceparent: '00-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbb-01',
        [DEAD_LETTER_HEADERS.topic]: 'order-events',
      }),
    ).toEqual({});
  });
});

describe('replaying dead letters (real Kafka)', () => {
  let broker: TestKafka;
  let kafka: Kafka;
  let consumer: RunningConsumer | undefined;
  const topic = uniqueName('replay');
  const groupId = uniqueName('replay');
  const dlqTopic = deadLetterTopic(topic, groupId);
  /** While true the handler rejects every message, as a bug would. */
  let broken = true;
  const handled: KafkaMessage[] = [];

  beforeAll(async () => {
    broker = await startKafka();
    kafka = createKafka({ clientId: 'replay-test', brokers: broker.brokers, logger });
    consumer = await startConsumer({
      kafka,
      groupId,
      topic,
      logger,
      maxAttempts: 1,
      createTopics: { numPartitions: 2, replicationFactor: 1 },
      handle: async ({ message }) => {
        if (broken) throw new PoisonMessageError('the handler cannot read this yet');
        handled.push(message);
      },
    });
  });
  afterAll(async () => {
    await consumer?.stop();
    await broker?.stop();
  });

  const keysHandled = () => handled.map((m) => m.key?.toString()).sort();

  it('when dead letters are replayed, then each goes back to its topic once with its key and original headers, a limit leaves the rest for the next run, and a run with nothing due replays nothing', async () => {
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({
      topic,
      messages: ['a', 'b', 'c'].map((key) => ({
        key,
        value: `event ${key}`,
        headers: { traceparent: TRACEPARENT, 'mesh-event-id': `id-${key}` },
      })),
    });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    try {
      await eventually(async () => {
        const offsets = await admin.fetchTopicOffsets(dlqTopic);
        return offsets.reduce((sum, p) => sum + Number(p.high), 0) === 3 ? true : undefined;
      }, 'three dead letters');
    } finally {
      await admin.disconnect();
    }
    // The bug is fixed.
    broken = false;

    expect(await replayDeadLetters({ kafka, dlqTopic, logger, limit: 2 })).toEqual({
      replayed: 2,
      left: 1,
    });
    await eventually(async () => (handled.length === 2 ? true : undefined), 'two replayed');

    expect(await replayDeadLetters({ kafka, dlqTopic, logger })).toEqual({ replayed: 1, left: 0 });
    await eventually(async () => (handled.length === 3 ? true : undefined), 'the third replayed');
    expect(keysHandled()).toEqual(['a', 'b', 'c']);
    for (const message of handled) {
      const key = message.key?.toString();
      expect(message.value?.toString()).toBe(`event ${key}`);
      const headers = Object.fromEntries(
        Object.entries(message.headers ?? {}).map(([name, value]) => [name, value?.toString()]),
      );
      expect(headers).toEqual({ traceparent: TRACEPARENT, 'mesh-event-id': `id-${key}` });
      for (const name of Object.values(DEAD_LETTER_HEADERS)) expect(headers[name]).toBeUndefined();
    }

    expect(await replayDeadLetters({ kafka, dlqTopic, logger })).toEqual({ replayed: 0, left: 0 });
    expect(handled).toHaveLength(3);
  });

  it('when the command gets a limit that is not a whole number above 0, then it refuses before reading anything', async () => {
    for (const limit of ['0', '-1', '2.5', 'all']) {
      await expect(
        runDeadLetterReplay({
          topic,
          groupId,
          brokers: broker.brokers,
          clientId: 'replay-test',
          logger,
          argv: ['--limit', limit],
        }),
      ).rejects.toThrow(/--limit/);
    }
    await expect(
      runDeadLetterReplay({
        topic,
        groupId,
        brokers: broker.brokers,
        clientId: 'replay-test',
        logger,
        argv: ['--topic', 'x'],
      }),
    ).rejects.toThrow(/topic/);
  });
});
