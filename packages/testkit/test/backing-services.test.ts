import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { KAFKA_VERSION, startKafka, startPostgres, startRedis, uniqueName } from '../src';

describe('PostgreSQL', () => {
  it('when two tests ask for a database, then each gets its own, and stop drops it', async () => {
    const [first, second] = await Promise.all([startPostgres(), startPostgres()]);
    try {
      expect(first.url).not.toBe(second.url);
      const client = new Client({ connectionString: first.url });
      await client.connect();
      await client.query('CREATE TABLE only_here (id int)');
      const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
      await client.end();
      expect(rows[0]?.server_version).toMatch(/^\d+/);

      const other = new Client({ connectionString: second.url });
      await other.connect();
      const tables = await other.query("SELECT 1 FROM pg_tables WHERE tablename = 'only_here'");
      await other.end();
      expect(tables.rowCount).toBe(0);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
    const gone = new Client({ connectionString: first.url });
    await expect(gone.connect()).rejects.toThrow(/does not exist/);
  });
});

describe('Redis', () => {
  it('when a test writes under its key prefix, then the server answers and the prefix is unique', async () => {
    const [first, second] = await Promise.all([startRedis(), startRedis()]);
    const redis = new Redis(first.url);
    try {
      expect(first.keyPrefix).not.toBe(second.keyPrefix);
      await redis.set(`${first.keyPrefix}k`, 'v', 'EX', 30);
      expect(await redis.get(`${first.keyPrefix}k`)).toBe('v');
      expect(await redis.get(`${second.keyPrefix}k`)).toBeNull();
    } finally {
      redis.disconnect();
      await Promise.all([first.stop(), second.stop()]);
    }
  });
});

describe('Kafka', () => {
  it('when a message is produced to a new topic, then a consumer reads it back from the real broker', async () => {
    const kafka = await startKafka();
    process.stdout.write(`Kafka broker under test: ${kafka.describe()}\n`);
    const client = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.WARN });
    const topic = uniqueName('roundtrip');
    const admin = client.admin();
    const producer = client.producer();
    const consumer = client.consumer({ groupId: uniqueName('group') });
    try {
      expect(kafka.version).toMatch(/^\d+\.\d+\.\d+/);
      await admin.connect();
      await admin.createTopics({ topics: [{ topic }], waitForLeaders: true });
      await producer.connect();
      await producer.send({ topic, messages: [{ key: 'k', value: 'hello' }] });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = await new Promise<string>((resolve) => {
        void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) });
      });
      expect(received).toBe('hello');
    } finally {
      await Promise.allSettled([consumer.disconnect(), producer.disconnect(), admin.disconnect()]);
      await kafka.stop();
    }
  });

  it('when the container image is chosen, then it runs the same Kafka version as the native broker', () => {
    const pom = readFileSync(join(__dirname, '../../../infra/kafka/native/pom.xml'), 'utf8');
    expect(pom).toContain(`<kafka.version>${KAFKA_VERSION}</kafka.version>`);
  });
});
