import { join } from 'node:path';
import { createLogger } from '@mesh/telemetry';
import { startPostgres, type TestPostgres } from '@mesh/testkit';
import { Client } from 'pg';
import { createPool, migrate, withTransaction } from '../src';

const logger = createLogger({ level: 'silent' });
const dir = join(__dirname, 'fixtures', 'migrations');

describe('PostgreSQL plumbing against a real server', () => {
  let postgres: TestPostgres;
  beforeAll(async () => {
    postgres = await startPostgres();
  });
  afterAll(() => postgres?.stop());

  it('when migrations run twice, then they are applied once, in order, inside the service schema', async () => {
    const first = await migrate({ databaseUrl: postgres.url, schema: 'shop', dir, logger });
    const second = await migrate({ databaseUrl: postgres.url, schema: 'shop', dir, logger });
    expect(first).toEqual(['001_widgets', '002_widget_seed']);
    expect(second).toEqual([]);

    const client = new Client({ connectionString: postgres.url });
    await client.connect();
    try {
      const tables = await client.query(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_name IN ('widgets', 'pgmigrations') ORDER BY table_name",
      );
      expect(tables.rows).toEqual([
        { table_schema: 'shop', table_name: 'pgmigrations' },
        { table_schema: 'shop', table_name: 'widgets' },
      ]);
    } finally {
      await client.end();
    }
  });

  it('when two services migrate their own schemas concurrently, then both succeed independently', async () => {
    const [a, b] = await Promise.all([
      migrate({ databaseUrl: postgres.url, schema: 'alpha', dir, logger }),
      migrate({ databaseUrl: postgres.url, schema: 'beta', dir, logger }),
    ]);
    expect(a).toHaveLength(2);
    expect(b).toHaveLength(2);
  });

  it('when a pool is created for a schema, then unqualified names resolve inside it', async () => {
    await migrate({ databaseUrl: postgres.url, schema: 'shop', dir, logger });
    const pool = createPool(postgres.url, { applicationName: 'test', schema: 'shop', logger });
    try {
      const { rows } = await pool.query<{ name: string }>('SELECT name FROM widgets ORDER BY id');
      expect(rows.map((r) => r.name)).toEqual(['sprocket', 'flange']);
    } finally {
      await pool.end();
    }
  });

  it('when the work inside a transaction throws, then nothing it wrote is kept', async () => {
    await migrate({ databaseUrl: postgres.url, schema: 'shop', dir, logger });
    const pool = createPool(postgres.url, { applicationName: 'test', schema: 'shop', logger });
    try {
      await expect(
        withTransaction(pool, async (client) => {
          await client.query("INSERT INTO widgets (name) VALUES ('ghost')");
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      await withTransaction(pool, (client) =>
        client.query("INSERT INTO widgets (name) VALUES ('kept')"),
      );
      const { rows } = await pool.query<{ name: string }>(
        "SELECT name FROM widgets WHERE name IN ('ghost', 'kept')",
      );
      expect(rows).toEqual([{ name: 'kept' }]);
    } finally {
      await pool.end();
    }
  });

  it('when the server kills a connection inside a transaction, then the transaction fails, the process lives and the pool recovers', async () => {
    const pool = createPool(postgres.url, { applicationName: 'killed', schema: 'public', logger });
    const admin = new Client({ connectionString: postgres.url });
    await admin.connect();
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const killed = withTransaction(pool, async (client) => {
        const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        // As a restart or failover does: the server ends this session between two statements.
        await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
        await new Promise((resolve) => setTimeout(resolve, 200));
        await client.query('SELECT 1');
      });
      await expect(killed).rejects.toThrow();
      const { rows } = await pool.query<{ one: number }>('SELECT 1 AS one');
      expect(rows).toEqual([{ one: 1 }]);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      await admin.end();
      await pool.end();
    }
  });
});
