import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { GenericContainer, type StartedTestContainer, Wait } from 'testcontainers';
import { type BackingSource, chooseSource, requireEnv } from './backing';
import { freePort, KAFKA_IMAGE, KAFKA_VERSION, kafkaContainerEnvironment } from './kafka';

/** A broker of a test's own, which the test may restart (the shared one must never be). */
export interface DedicatedKafka {
  brokers: string[];
  source: BackingSource;
  /** Stops the broker (a controlled shutdown) and starts it again on the same port and data. */
  restart(options?: { downForMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

/** Resolves once the broker answers metadata requests. */
async function waitForBroker(brokers: string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const admin = new Kafka({
      brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1_000,
      retry: { retries: 0 },
    }).admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      return;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`Kafka at ${brokers} did not come up`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 250));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}

/**
 * Starts a single-node Apache Kafka (KRaft) for one test: a container when a Docker engine
 * answers, otherwise a JVM process from the jars `scripts/services.sh` fetched
 * (MESH_TEST_KAFKA_LIBS), on free ports with its log in a temporary folder.
 */
export async function startDedicatedKafka(): Promise<DedicatedKafka> {
  const source = await chooseSource('MESH_TEST_KAFKA_LIBS');
  return source === 'native' ? startNative() : startContainer();
}

async function startContainer(): Promise<DedicatedKafka> {
  const port = await freePort();
  const definition = new GenericContainer(KAFKA_IMAGE)
    .withExposedPorts({ container: port, host: port })
    .withEnvironment(kafkaContainerEnvironment(port))
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/));
  const container: StartedTestContainer = await definition.start();
  const brokers = [`127.0.0.1:${port}`];
  return {
    brokers,
    source: 'testcontainers',
    restart: async ({ downForMs = 0 } = {}) => {
      // Docker's restart stops the container (a controlled broker shutdown) and starts it again.
      await new Promise((resolve) => setTimeout(resolve, downForMs));
      await container.restart();
      await waitForBroker(brokers);
    },
    stop: async () => void (await container.stop()),
  };
}

async function startNative(): Promise<DedicatedKafka> {
  const libs = requireEnv('MESH_TEST_KAFKA_LIBS');
  const [port, controllerPort] = await Promise.all([freePort(), freePort()]);
  const dir = await mkdtemp(join(tmpdir(), 'mesh-kafka-'));
  const properties = join(dir, 'server.properties');
  await writeFile(
    properties,
    [
      'node.id=1',
      'process.roles=broker,controller',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      'controller.listener.names=CONTROLLER',
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `log.dirs=${join(dir, 'data')}`,
      'offsets.topic.replication.factor=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'auto.create.topics.enable=false',
      'group.initial.rebalance.delay.ms=0',
      '',
    ].join('\n'),
  );
  const java = (args: string[]) =>
    spawn('java', ['-Xms128m', '-Xmx384m', '-cp', `${libs}/*`, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  await new Promise<void>((resolve, reject) => {
    // A fixed cluster id is fine: the data folder belongs to this broker alone.
    const format = java([
      'kafka.tools.StorageTool',
      'format',
      '--config',
      properties,
      '--cluster-id',
      'mesh-dedicated-test-1',
    ]);
    let stderr = '';
    format.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    format.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`formatting the Kafka log failed: ${stderr}`)),
    );
  });

  let broker: ChildProcess | undefined;
  const brokers = [`127.0.0.1:${port}`];
  const launch = async () => {
    broker = java(['kafka.Kafka', properties]);
    await waitForBroker(brokers);
  };
  const halt = async () => {
    const running = broker;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  await launch();
  return {
    brokers,
    source: 'native',
    restart: async ({ downForMs = 0 } = {}) => {
      await halt();
      await new Promise((resolve) => setTimeout(resolve, downForMs));
      await launch();
    },
    stop: async () => {
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export { KAFKA_VERSION };
