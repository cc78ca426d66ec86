import { createServer } from 'node:net';
import { GenericContainer, Wait } from 'testcontainers';
import { type BackingSource, chooseSource, requireEnv } from './backing';

/**
 * Apache Kafka's own image, at the version the native broker runs (infra/kafka/native/pom.xml;
 * a test keeps the two in step). @testcontainers/kafka targets Confluent's images, so the
 * official Apache image is started as a generic container instead.
 */
export const KAFKA_VERSION = '4.3.1';
export const KAFKA_IMAGE = `apache/kafka:${KAFKA_VERSION}`;

export interface TestKafka {
  brokers: string[];
  /** The version the broker itself reported at start ("Kafka version: …" in its log). */
  version: string;
  source: BackingSource;
  /** One line for test output: which broker the tests talked to. */
  describe(): string;
  stop(): Promise<void>;
}

export async function startKafka(): Promise<TestKafka> {
  const source = await chooseSource('MESH_TEST_KAFKA_BROKERS');
  if (source === 'native') {
    const brokers = requireEnv('MESH_TEST_KAFKA_BROKERS').split(',');
    const version = process.env.MESH_TEST_KAFKA_VERSION ?? 'unknown';
    return kafkaHandle(brokers, version, source, async () => {});
  }

  // Kafka advertises the address clients must use, so the host port has to be known before
  // the broker starts: take a free one and map it 1:1.
  const port = await freePort();
  const container = await new GenericContainer(KAFKA_IMAGE)
    .withExposedPorts({ container: port, host: port })
    .withEnvironment(kafkaContainerEnvironment(port))
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  const version = (await reportedVersion(container)) ?? KAFKA_VERSION;
  return kafkaHandle([`127.0.0.1:${port}`], version, source, async () => {
    await container.stop();
  });
}

function kafkaHandle(
  brokers: string[],
  version: string,
  source: BackingSource,
  stop: () => Promise<void>,
): TestKafka {
  return {
    brokers,
    version,
    source,
    describe: () => `Apache Kafka ${version} at ${brokers.join(',')} (${source})`,
    stop,
  };
}

async function reportedVersion(container: {
  logs(): Promise<NodeJS.ReadableStream>;
}): Promise<string | undefined> {
  const stream = await container.logs();
  return new Promise((resolve) => {
    let seen = '';
    const timer = setTimeout(() => done(undefined), 5_000);
    const done = (version: string | undefined) => {
      clearTimeout(timer);
      stream.removeAllListeners('data');
      resolve(version);
    };
    stream.on('data', (chunk: Buffer | string) => {
      seen += chunk.toString();
      const match = /Kafka version: (\S+)/.exec(seen);
      if (match) done(match[1]);
    });
    stream.on('end', () => done(undefined));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** The official image's settings for one KRaft node advertising 127.0.0.1:<port>. */
export function kafkaContainerEnvironment(port: number): Record<string, string> {
  return {
    KAFKA_NODE_ID: '1',
    KAFKA_PROCESS_ROLES: 'broker,controller',
    KAFKA_LISTENERS: `PLAINTEXT://0.0.0.0:${port},CONTROLLER://localhost:9093`,
    KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${port}`,
    KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
    KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
    KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
    KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
    KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
    KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
  };
}
