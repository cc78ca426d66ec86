import { type CapturedSpan, type OtlpCapture, startOtlpCapture } from '@mesh/otlp-capture';
import { startKafka, type TestKafka, uniqueName } from '@mesh/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { Fixture, fastExportEnv } from './support/fixture';

type Published = { traceId: string; spanId: string; key: string };

describe('Kafka propagation through a real broker', () => {
  let kafka: TestKafka;
  let capture: OtlpCapture;

  beforeAll(async () => {
    kafka = await startKafka();
    // Names the broker in the test output, so a CI log shows what was really exercised.
    process.stdout.write(`Kafka broker under test: ${kafka.describe()}\n`);
    capture = await startOtlpCapture();
  });
  afterAll(async () => {
    await capture?.close();
    await kafka?.stop();
  });

  async function createTopic(): Promise<string> {
    const topic = uniqueName('propagation');
    const admin = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.WARN }).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    return topic;
  }

  /** Producer and consumer in two processes; resolves once the consumer has flushed its spans. */
  async function roundTrip(mode: 'message' | 'batch' | 'traced-batch', count: number) {
    const topic = await createTopic();
    const env = { BROKERS: kafka.brokers.join(','), TOPIC: topic, ...fastExportEnv(capture.url) };
    const consumer = Fixture.start('kafka-consumer', {
      ...env,
      OTEL_SERVICE_NAME: 'consumer-app',
      GROUP: uniqueName('group'),
      MODE: mode,
      EXPECT: String(count),
    });
    const producer = Fixture.start('kafka-producer', {
      ...env,
      OTEL_SERVICE_NAME: 'producer-app',
      COUNT: String(count),
    });
    try {
      const { published } = await producer.message<{ type: string; published: Published[] }>(
        'sent',
        40_000,
      );
      await consumer.message('consumed', 40_000);
      await consumer.stop();
      await consumer.message('shutdown');
      return { topic, published };
    } finally {
      await Promise.all([producer.stop(), consumer.stop()]);
    }
  }

  const withName = (name: string, service: string) =>
    capture.spans().filter((s) => s.name === name && s.serviceName === service);

  /** Each published message: one send span, and one process span that is its child. */
  function expectProcessedAsChildOfSend(topic: string, published: Published[]) {
    for (const message of published) {
      const sends = withName(`send ${topic}`, 'producer-app').filter(
        (s) => s.parentSpanId === message.spanId,
      );
      expect(sends).toHaveLength(1);
      const send = sends[0] as CapturedSpan;
      expect(send).toMatchObject({ traceId: message.traceId, kind: 'PRODUCER' });
      expect(send.attributes).toMatchObject({
        'messaging.system': 'kafka',
        'messaging.destination.name': topic,
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'send',
        'messaging.kafka.message.key': message.key,
      });

      const processes = withName(`process ${topic}`, 'consumer-app').filter(
        (s) => s.attributes['messaging.kafka.message.key'] === message.key,
      );
      expect(processes).toHaveLength(1);
      const processed = processes[0] as CapturedSpan;
      expect(processed).toMatchObject({
        traceId: message.traceId,
        parentSpanId: send.spanId,
        kind: 'CONSUMER',
      });
      expect(processed.attributes).toMatchObject({
        'messaging.system': 'kafka',
        'messaging.destination.name': topic,
        'messaging.operation.type': 'process',
        'messaging.destination.partition.id': expect.any(String),
        'messaging.kafka.offset': expect.anything(),
      });
    }
  }

  it('when messages are consumed one by one, then each process span is the child of its send span, one of each per message', async () => {
    const { topic, published } = await roundTrip('message', 3);
    expectProcessedAsChildOfSend(topic, published);
  });

  it('when an eachBatch handler marked tracesEachMessage processes each message in inProcessSpan, then each process span is the child of its send span, and the instrumentation adds no batch spans', async () => {
    const { topic, published } = await roundTrip('traced-batch', 3);
    expectProcessedAsChildOfSend(topic, published);
    const consumerSpans = capture
      .spans()
      .filter(
        (s) =>
          s.serviceName === 'consumer-app' && s.attributes['messaging.destination.name'] === topic,
      );
    expect(consumerSpans.map((s) => s.name)).toEqual(Array(3).fill(`process ${topic}`));
  });

  it('when messages are consumed in batches, then each process span links to its send span', async () => {
    const { topic, published } = await roundTrip('batch', 3);

    for (const message of published) {
      const [send] = withName(`send ${topic}`, 'producer-app').filter(
        (s) => s.parentSpanId === message.spanId,
      );
      const processes = withName(`process ${topic}`, 'consumer-app').filter(
        (s) => s.attributes['messaging.kafka.message.key'] === message.key,
      );
      expect(processes).toHaveLength(1);
      expect(processes[0]?.links).toEqual([
        expect.objectContaining({ traceId: message.traceId, spanId: send?.spanId }),
      ]);
    }
  });
});
