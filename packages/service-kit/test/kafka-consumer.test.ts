import { DEAD_LETTER_HEADERS, deadLetterTopic } from '@mesh/contracts';
import { createLogger } from '@mesh/telemetry';
import {
  closedPort,
  eventually,
  freePort,
  startKafka,
  startPostgres,
  type TestKafka,
  type TestPostgres,
  uniqueName,
} from '@mesh/testkit';
import type { KafkaMessage } from 'kafkajs';
import { Client } from 'pg';
import {
  AppError,
  createKafka,
  ensureTopics,
  type Kafka,
  PoisonMessageError,
  type ReceivedMessage,
  type RunningConsumer,
  startConsumer,
  startConsumerInBackground,
} from '../src';

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const LAYOUT = { numPartitions: 1, replicationFactor: 1 };

async function publish(kafka: Kafka, topic: string, messages: { key: string; value: string }[]) {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
}

/** Collects every message of a topic, from its beginning, until stopped. */
async function readAll(kafka: Kafka, topic: string) {
  const messages: KafkaMessage[] = [];
  const reader = kafka.consumer({ groupId: uniqueName('reader') });
  await reader.connect();
  await reader.subscribe({ topic, fromBeginning: true });
  await reader.run({
    eachMessage: async ({ message }) => {
      messages.push(message);
    },
  });
  return { messages, stop: () => reader.disconnect() };
}

describe('startConsumer: which failures are waited out and which are dead-lettered (real Kafka)', () => {
  let broker: TestKafka;
  let postgres: TestPostgres;
  let kafka: Kafka;
  let consumer: RunningConsumer | undefined;
  /** A PostgreSQL connection whose statements time out after 20 ms. */
  let impatient: Client;
  let refusedUrl: string;
  const topic = uniqueName('failures');
  const groupId = uniqueName('failures');
  const MAX_ATTEMPTS = 2;
  /** Failures each keyed message produces before it passes; poison never passes. */
  const FAILURES_BEFORE_SUCCESS = 4;
  const calls = new Map<string, number>();
  const handled: string[] = [];

  /** Each message key names the failure its handler runs into, for real where it can. */
  const failures: Record<string, () => Promise<never>> = {
    'fetch-refused': async () => {
      // undici's TypeError 'fetch failed', with the ECONNREFUSED in its cause.
      await fetch(refusedUrl);
      throw new Error('the refused fetch succeeded');
    },
    'dependency-unavailable': async () => {
      throw new AppError('dependency-unavailable', { detail: 'payment answered 503' });
    },
    'dependency-failed': async () => {
      throw new AppError('dependency-failed', { detail: 'payment answered 500' });
    },
    'statement-timeout': async () => {
      await impatient.query('SELECT pg_sleep(1)');
      throw new Error('the slow statement did not time out');
    },
    poison: async () => {
      throw new PoisonMessageError('the order event is not JSON');
    },
  };

  async function handle({ message }: ReceivedMessage) {
    const key = message.key?.toString() ?? '';
    const count = (calls.get(key) ?? 0) + 1;
    calls.set(key, count);
    const fail = failures[key];
    if (fail && (key === 'poison' || count <= FAILURES_BEFORE_SUCCESS)) await fail();
    handled.push(key);
  }

  beforeAll(async () => {
    [broker, postgres] = await Promise.all([startKafka(), startPostgres()]);
    kafka = createKafka({ clientId: 'consumer-failures-test', brokers: broker.brokers, logger });
    impatient = new Client({ connectionString: postgres.url, statement_timeout: 20 });
    await impatient.connect();
    refusedUrl = await closedPort();
    consumer = await startConsumer({
      kafka,
      groupId,
      topic,
      logger,
      handle,
      maxAttempts: MAX_ATTEMPTS,
      retryDelayMs: 10,
      createTopics: LAYOUT,
      // One message at a time, so that the poison, sent last, is dead-lettered last.
      concurrency: 1,
    });
  });
  afterAll(async () => {
    await consumer?.stop();
    await impatient?.end();
    await Promise.all([broker?.stop(), postgres?.stop()]);
  });

  it('when a handler meets a refused fetch, a dependency AppError or a statement timeout more often than the attempt limit, then the message is retried until it passes and never dead-lettered, while a poison message is dead-lettered after the attempts', async () => {
    const transientKeys = [
      'fetch-refused',
      'dependency-unavailable',
      'dependency-failed',
      'statement-timeout',
    ];
    const dlq = await readAll(kafka, deadLetterTopic(topic, groupId));
    try {
      // One partition: the poison, sent last, is dead-lettered only after the others passed.
      await publish(kafka, topic, [
        ...transientKeys.map((key) => ({ key, value: JSON.stringify({ key }) })),
        { key: 'poison', value: '{not json' },
      ]);
      // The dead-letter topic has one partition too: what was dead-lettered before the poison
      // has been read when the poison is.
      await eventually(
        async () => (dlq.messages.some((m) => m.key?.toString() === 'poison') ? true : undefined),
        'the poison in the dead-letter topic',
      );

      expect(dlq.messages.map((m) => m.key?.toString())).toEqual(['poison']);
      expect(handled).toEqual(transientKeys);
      for (const key of transientKeys) expect(calls.get(key)).toBe(FAILURES_BEFORE_SUCCESS + 1);
      expect(calls.get('poison')).toBe(MAX_ATTEMPTS);
      const [poison] = dlq.messages;
      expect(poison?.headers?.[DEAD_LETTER_HEADERS.attempts]?.toString()).toBe(
        String(MAX_ATTEMPTS),
      );
      expect(poison?.headers?.[DEAD_LETTER_HEADERS.error]?.toString()).toMatch(/not JSON/);
    } finally {
      await dlq.stop();
    }
  });
});

describe('startConsumerInBackground against a broker that does not answer', () => {
  type ClientKind = 'consumer' | 'producer' | 'admin';

  /** Every client the consumer makes, and whether it was disconnected again. */
  function trackClients(kafka: Kafka) {
    const created: { kind: ClientKind; disconnected: boolean }[] = [];
    for (const kind of ['consumer', 'producer', 'admin'] as const) {
      const make = kafka[kind].bind(kafka) as (config?: unknown) => {
        disconnect(): Promise<void>;
      };
      jest.spyOn(kafka, kind).mockImplementation(((config?: unknown) => {
        const client = make(config);
        const entry = { kind, disconnected: false };
        created.push(entry);
        const disconnect = client.disconnect.bind(client);
        client.disconnect = async () => {
          entry.disconnected = true;
          await disconnect();
        };
        return client;
      }) as never);
    }
    return created;
  }

  it.each([
    ['creating its topics first', LAYOUT],
    ['with its topics already there', undefined],
  ])(
    'when every start attempt fails (%s), then each attempt disconnects the clients it made before the next',
    async (_case, createTopics) => {
      const port = await freePort();
      const kafka = createKafka({
        clientId: 'unreachable-test',
        brokers: [`127.0.0.1:${port}`],
        logger,
        // One retry: the fewest an idempotent producer accepts.
        retry: { retries: 1, initialRetryTime: 10 },
      });
      const created = trackClients(kafka);
      const background = startConsumerInBackground({
        kafka,
        groupId: uniqueName('unreachable'),
        topic: uniqueName('unreachable'),
        logger,
        handle: async () => {},
        createTopics,
      });

      await eventually(
        () => (created.filter((c) => c.kind === 'consumer').length >= 3 ? true : undefined),
        'three start attempts',
      );
      await background.stop();
      // The attempt under way when stop() came ends (and cleans up) by itself.
      await background.started;

      expect(created.filter((c) => c.kind === 'consumer').length).toBeGreaterThanOrEqual(3);
      expect(created.filter((c) => !c.disconnected)).toEqual([]);
    },
  );

  it('when the topics cannot be created, then ensureTopics disconnects its admin', async () => {
    const port = await freePort();
    const kafka = createKafka({
      clientId: 'unreachable-admin-test',
      brokers: [`127.0.0.1:${port}`],
      logger,
      // One retry: the fewest an idempotent producer accepts.
      retry: { retries: 1, initialRetryTime: 10 },
    });
    const created = trackClients(kafka);
    await expect(
      ensureTopics(kafka, [{ topic: uniqueName('unreachable'), ...LAYOUT }]),
    ).rejects.toThrow();
    expect(created).toEqual([{ kind: 'admin', disconnected: true }]);
  });
});
