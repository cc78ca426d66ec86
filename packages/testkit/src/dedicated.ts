import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { GenericContainer, type StartedTestContainer, Wait } from 'testcontainers';
import { chooseSource } from './backing';
import { freePort } from './kafka';
import { POSTGRES_IMAGE, withClient } from './postgres';
import { REDIS_IMAGE } from './redis';

// PostgreSQL and Redis servers of one test run's own, as native processes, for tests that stop,
// restart or fill them (the fault suite). The shared servers of `scripts/services.sh` must never
// be stopped: other test files use them at the same time.
//
// Where the tests use native servers (the MESH_TEST_* variables are set), these are native
// processes too, from the programs `scripts/services.sh start` installs; otherwise containers on
// a fixed host port, stopped without removal and started again, so the port and data survive.

const run = promisify(execFile);

/** A server this test may stop and start again on the same port with the same data. */
export interface DedicatedServer {
  /** Stops the server (clean, fast shutdown). */
  halt(): Promise<void>;
  /** Starts it again on the same port and data, and waits until it serves. */
  resume(): Promise<void>;
  /** Stops it for good and deletes its data. */
  stop(): Promise<void>;
}

export interface DedicatedPostgres extends DedicatedServer {
  /** Superuser URL of the database `mesh`. */
  url: string;
  port: number;
  /** Kills every client connection to `mesh` (`pg_terminate_backend`), as a failover does. */
  terminateConnections(): Promise<number>;
}

export interface DedicatedRedis extends DedicatedServer {
  url: string;
  port: number;
}

function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((name) => existsSync(join(root, name, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(a) - Number(b))
    : [];
  const newest = versions.at(-1);
  if (!newest) {
    throw new Error(
      "PostgreSQL's server programs (pg_ctl) are not installed; `scripts/services.sh start` installs them",
    );
  }
  return join(root, newest, 'bin');
}

/** PostgreSQL refuses to run as root; as root the cluster belongs to the `postgres` user. */
const asRoot = process.getuid?.() === 0;

async function pgCommand(program: string, args: string[]): Promise<void> {
  const binary = join(postgresBinDir(), program);
  const [command, commandArgs] = asRoot
    ? ['runuser', ['-u', 'postgres', '--', binary, ...args]]
    : [binary, args];
  await run(command, commandArgs, { timeout: 90_000 });
}

/**
 * A PostgreSQL cluster in a temporary folder on a free port, with a database `mesh` that the
 * user `mesh` (password `mesh`) owns. Tuned like the native development server: no fsync.
 */
export async function startDedicatedPostgres(): Promise<DedicatedPostgres> {
  return (await chooseSource('MESH_TEST_POSTGRES_URL')) === 'native'
    ? startNativePostgres()
    : startPostgresContainer();
}

async function startNativePostgres(): Promise<DedicatedPostgres> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'mesh-postgres-'));
  const data = join(dir, 'data');
  const passwordFile = join(dir, 'password');
  await writeFile(passwordFile, 'mesh\n');
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const uid = Number(stdout.trim());
    await chown(dir, uid, uid);
    await chown(passwordFile, uid, uid);
  }
  await chmod(dir, 0o700);
  await pgCommand('initdb', [
    '-D',
    data,
    '-U',
    'mesh',
    `--pwfile=${passwordFile}`,
    '--auth=scram-sha-256',
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
  ]);
  const url = `postgres://mesh:mesh@127.0.0.1:${port}/mesh`;
  const options = [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    `-k ${dir}`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
  ].join(' ');
  const resume = async () => {
    await pgCommand('pg_ctl', [
      '-D',
      data,
      '-l',
      join(dir, 'server.log'),
      '-w',
      '-t',
      '60',
      'start',
      '-o',
      options,
    ]);
  };
  const halt = () => pgCommand('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
  await resume();
  await withClient(url.replace(/\/mesh$/, '/postgres'), (client) =>
    client.query('CREATE DATABASE mesh'),
  );
  return {
    url,
    port,
    halt,
    resume,
    stop: async () => {
      await halt().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
    terminateConnections: () => terminateConnections(url),
  };
}

/** A container on a fixed host port, so a stop and a start keep the address the services use. */
async function startContainer(
  definition: GenericContainer,
  containerPort: number,
  ready: (port: number) => Promise<void>,
): Promise<{ port: number } & DedicatedServer> {
  const port = await freePort();
  const container: StartedTestContainer = await definition
    .withExposedPorts({ container: containerPort, host: port })
    .start();
  await ready(port);
  return {
    port,
    halt: async () => void (await container.stop({ remove: false, timeout: 10_000 })),
    resume: async () => {
      await container.restart();
      await ready(port);
    },
    stop: async () => void (await container.stop({ remove: true })),
  };
}

async function startPostgresContainer(): Promise<DedicatedPostgres> {
  const definition = new GenericContainer(POSTGRES_IMAGE)
    .withEnvironment({ POSTGRES_USER: 'mesh', POSTGRES_PASSWORD: 'mesh', POSTGRES_DB: 'mesh' })
    .withCommand(['postgres', '-c', 'fsync=off', '-c', 'max_connections=200'])
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2));
  let url = '';
  const server = await startContainer(definition, 5432, async (port) => {
    url = `postgres://mesh:mesh@127.0.0.1:${port}/mesh`;
    await waitFor(`PostgreSQL on port ${port}`, () => withClient(url, (c) => c.query('SELECT 1')));
  });
  return { ...server, url, terminateConnections: () => terminateConnections(url) };
}

function terminateConnections(url: string): Promise<number> {
  return withClient(url, async (client) => {
    const result = await client.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = 'mesh' AND pid <> pg_backend_pid()`,
    );
    return result.rowCount ?? 0;
  });
}

async function waitFor(what: string, probe: () => Promise<unknown>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await probe();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what} did not come up`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** A Redis server on a free port, persisting nothing, as the development server. */
export async function startDedicatedRedis(): Promise<DedicatedRedis> {
  if ((await chooseSource('MESH_TEST_REDIS_URL')) === 'native') return startNativeRedis();
  const definition = new GenericContainer(REDIS_IMAGE).withCommand([
    'redis-server',
    '--save',
    '',
    '--appendonly',
    'no',
  ]);
  const server = await startContainer(definition, 6379, (port) =>
    waitFor(`Redis on port ${port}`, async () => {
      const redis = new Redis({
        port,
        host: '127.0.0.1',
        lazyConnect: true,
        maxRetriesPerRequest: 0,
      });
      redis.on('error', () => undefined);
      try {
        await redis.connect();
        await redis.ping();
      } finally {
        redis.disconnect();
      }
    }),
  );
  return { ...server, url: `redis://127.0.0.1:${server.port}` };
}

async function startNativeRedis(): Promise<DedicatedRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'mesh-redis-'));
  let server: ChildProcess | undefined;
  const resume = async () => {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
      ],
      { stdio: 'ignore' },
    );
    child.once('error', () => undefined);
    server = child;
    await waitForRedis(port, child);
  };
  const halt = async () => {
    const running = server;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  await resume();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    halt,
    resume,
    stop: async () => {
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitForRedis(port: number, child: ChildProcess): Promise<void> {
  await waitFor(`Redis on port ${port}`, async () => {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    const { stdout } = await run('redis-cli', ['-p', String(port), 'ping'], { timeout: 2_000 });
    if (stdout.trim() !== 'PONG') throw new Error(`redis-cli said ${stdout.trim()}`);
  });
}
