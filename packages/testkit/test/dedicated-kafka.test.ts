import { Kafka, logLevel } from 'kafkajs';
import { startDedicatedKafka, uniqueName } from '../src';

describe('a dedicated Kafka broker', () => {
  it('when it is restarted, then topics and committed messages survive and clients carry on', async () => {
    const kafka = await startDedicatedKafka();
    const client = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING });
    const topic = uniqueName('restart');
    const admin = client.admin();
    const producer = client.producer();
    try {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic }], waitForLeaders: true });
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: [{ key: 'a', value: 'before' }] });
      await kafka.restart();
      await producer.send({ topic, acks: -1, messages: [{ key: 'b', value: 'after' }] });

      const consumer = client.consumer({ groupId: uniqueName('reader') });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const values: string[] = [];
      await new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            values.push(String(message.value));
            if (values.length === 2) resolve();
          },
        });
      });
      await consumer.disconnect();
      expect(values).toEqual(['before', 'after']);
    } finally {
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
      await kafka.stop();
    }
  }, 120_000);
});
