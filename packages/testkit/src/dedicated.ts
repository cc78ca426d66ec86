import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from './kafka';

// PostgreSQL and Redis servers of one test run's own, as native processes, for tests that stop,
// restart or fill them (the fault suite). The shared servers of `scripts/services.sh` must never
// be stopped: other test files use them at the same time.
//
// Native only: a container can be restarted but not held down for a measured outage with the
// same port and data, and the fault suite needs exactly that. `scripts/services.sh start`
// installs the programs these need (PostgreSQL's server programs and redis-server).

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
    terminateConnections: () =>
      withClient(url, async (client) => {
        const result = await client.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = 'mesh' AND pid <> pg_backend_pid()`,
        );
        return result.rowCount ?? 0;
      }),
  };
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A Redis server on a free port, persisting nothing, as the development server. */
export async function startDedicatedRedis(): Promise<DedicatedRedis> {
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

async function waitForRedis(port: number, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    try {
      const { stdout } = await run('redis-cli', ['-p', String(port), 'ping'], { timeout: 2_000 });
      if (stdout.trim() === 'PONG') return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`Redis on port ${port} did not come up`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
