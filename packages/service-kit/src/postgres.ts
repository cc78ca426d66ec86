import type { Logger } from '@mesh/telemetry';
import { runner } from 'node-pg-migrate';
import { Pool, type PoolClient } from 'pg';
import { retryPolicy } from './retry';

export type { Pool, PoolClient } from 'pg';

export interface PoolSettings {
  /** Shown in pg_stat_activity, so a DBA can tell which service holds a connection. */
  applicationName: string;
  /** The service's own schema: first on the search_path, so queries name tables unqualified. */
  schema: string;
  max?: number;
  logger: Logger;
}

/**
 * A connection pool for one service. Bounded waits everywhere: a PostgreSQL that is down or
 * saturated turns into a fast error, never a request that hangs.
 */
export function createPool(databaseUrl: string, settings: PoolSettings): Pool {
  const pool = new Pool({
    connectionString: databaseUrl,
    application_name: settings.applicationName,
    options: `-c search_path=${settings.schema}`,
    max: settings.max ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    // Server-side limit per statement: a stuck query fails instead of holding a connection.
    statement_timeout: 10_000,
  });
  // An idle connection dropped by the server (restart, failover) would otherwise be an
  // unhandled 'error' event and crash the process; the pool replaces it on next use.
  pool.on('error', (error) =>
    settings.logger.warn({ err: error }, 'idle PostgreSQL connection lost'),
  );
  return pool;
}

/** Runs `work` in one transaction: committed if it resolves, rolled back if it throws. */
export async function withTransaction<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  // pg-pool listens for a client's 'error' only while it is idle. A checked-out client whose
  // server goes away (restart, pg_terminate_backend, failover) emits 'error' with nobody
  // listening, which would kill the process; the failed query rejects on its own.
  let lost: Error | undefined;
  const onError = (error: Error) => {
    lost = error;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    if (!lost) await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.off('error', onError);
    // A broken connection is destroyed instead of going back to the pool.
    client.release(lost);
  }
}

export interface MigrationSettings {
  databaseUrl: string;
  /** Created when missing; the migrations and their bookkeeping table live in it. */
  schema: string;
  /** Folder of `NNN_name.sql` files with `-- Up Migration` / `-- Down Migration` sections. */
  dir: string;
  logger: Logger;
  /** How long to wait for another service's migration run to finish. Default 60 s. */
  lockWaitMs?: number;
}

/** node-pg-migrate's message when its advisory lock is taken. */
const LOCK_TAKEN = 'Another migration is already running';

/**
 * Applies pending migrations with node-pg-migrate. Migrations are plain SQL so that a reader sees
 * exactly what runs.
 *
 * node-pg-migrate guards a run with one advisory lock per database and fails at once when it is
 * taken (`pg_try_advisory_lock`). Services that share a database and start together (compose,
 * the native stack, several replicas) would then fail each other's start, so a taken lock is
 * waited for here, up to `lockWaitMs`.
 */
export async function migrate(settings: MigrationSettings): Promise<string[]> {
  const deadline = Date.now() + (settings.lockWaitMs ?? 60_000);
  const waitForLock = retryPolicy({
    initialDelayMs: 100,
    maxDelayMs: 500,
    retryIf: (error) =>
      error instanceof Error && error.message === LOCK_TAKEN && Date.now() <= deadline,
  });
  waitForLock.onRetry(() =>
    settings.logger.debug({ schema: settings.schema }, 'waiting for another migration run'),
  );
  return waitForLock.execute(() => migrateOnce(settings));
}

async function migrateOnce(settings: MigrationSettings): Promise<string[]> {
  const applied = await runner({
    databaseUrl: settings.databaseUrl,
    dir: settings.dir,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    migrationsSchema: settings.schema,
    createMigrationsSchema: true,
    schema: settings.schema,
    createSchema: true,
    checkOrder: true,
    log: (message) => settings.logger.debug({ migration: true }, message),
  });
  const names = applied.map((migration) => migration.name);
  if (names.length > 0) {
    settings.logger.info({ migrations: names, schema: settings.schema }, 'applied migrations');
  }
  return names;
}

/**
 * Records that this consumer processed an event, inside the transaction of its side effect.
 * False when it already was: the caller skips the side effect (a redelivery). Needs a table
 * `processed_messages (event_id uuid PRIMARY KEY, processed_at timestamptz)` in the schema.
 */
export async function claimEvent(client: PoolClient, eventId: string): Promise<boolean> {
  const result = await client.query(
    'INSERT INTO processed_messages (event_id, processed_at) VALUES ($1, now()) ON CONFLICT DO NOTHING',
    [eventId],
  );
  return result.rowCount === 1;
}
