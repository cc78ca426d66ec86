import { createLogger } from '@mesh/telemetry';
import { startInMemoryTelemetry } from '@mesh/telemetry-testing';
import { eventually, startKafka, type TestKafka, uniqueName } from '@mesh/testkit';
import {
  CONSUMER_LAG_METRIC,
  createKafka,
  type Kafka,
  type RunningConsumer,
  startConsumer,
} from '../src';

/*
 * The lag every consumer made by startConsumer reports, read as the exported metric, while its
 * handler is held back message by message against a real broker.
 */
const telemetry = startInMemoryTelemetry();
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

describe('startConsumer: consumer lag per partition (real Kafka)', () => {
  let broker: TestKafka;
  let kafka: Kafka;
  let consumer: RunningConsumer;
  const topic = uniqueName('lag');
  const groupId = uniqueName('lag');
  /** While true, each message waits in `waiting` until the test lets it go. */
  let holding = true;
  const waiting: (() => void)[] = [];
  const handled: string[] = [];

  beforeAll(async () => {
    broker = await startKafka();
    kafka = createKafka({ clientId: 'consumer-lag-test', brokers: broker.brokers, logger });
    consumer = await startConsumer({
      kafka,
      groupId,
      topic,
      logger,
      createTopics: { numPartitions: 1, replicationFactor: 1 },
      handle: async ({ message }) => {
        if (holding) await new Promise<void>((resolve) => waiting.push(resolve));
        handled.push(message.value?.toString() ?? '');
      },
    });
  });
  afterAll(async () => {
    holding = false;
    for (const release of waiting.splice(0)) release();
    await consumer?.stop();
    await broker?.stop();
    await telemetry.shutdown();
  });

  async function publish(values: string[]) {
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      await producer.send({ topic, messages: values.map((value) => ({ key: 'k', value })) });
    } finally {
      await producer.disconnect();
    }
  }

  /** The lag data points of this test's group, as the metric exporter receives them. */
  async function lagPoints() {
    const points = (await telemetry.collectMetrics())
      .flatMap((resource) => resource.scopeMetrics)
      .flatMap((scope) => scope.metrics)
      .filter((metric) => metric.descriptor.name === CONSUMER_LAG_METRIC)
      .flatMap(
        (metric) => metric.dataPoints as { attributes: Record<string, unknown>; value: number }[],
      );
    return points.filter((point) => point.attributes['messaging.consumer.group.name'] === groupId);
  }

  const lagOfPartition = async () => (await lagPoints())[0];

  it('when the handler falls behind, then the lag counts the messages waiting, those still on the broker too, and 0 once it caught up', async () => {
    await publish(['first']);
    await eventually(() => (waiting.length === 1 ? true : undefined), 'the first message');
    // Ten more arrive while the first is in hand: only the broker knows of them yet.
    await publish(Array.from({ length: 10 }, (_, index) => `behind-${index}`));
    const whileHeld = await eventually(async () => {
      const point = await lagOfPartition();
      return point?.value === 11 ? point : undefined;
    }, 'a lag of 11 (the message in hand and the ten behind it)');
    expect(whileHeld.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.consumer.group.name': groupId,
      'messaging.destination.name': topic,
      'messaging.destination.partition.id': '0',
    });

    waiting.shift()?.();
    await eventually(
      () => (handled.length === 1 && waiting.length === 1 ? true : undefined),
      'the second batch',
    );
    expect((await lagOfPartition())?.value).toBe(10);

    holding = false;
    for (const release of waiting.splice(0)) release();
    await eventually(() => (handled.length === 11 ? true : undefined), 'every message handled');
    await eventually(
      async () => ((await lagOfPartition())?.value === 0 ? true : undefined),
      'the lag back at 0',
    );
    expect(await lagPoints()).toHaveLength(1);
  });
});
