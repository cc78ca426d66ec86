import { PostgreSqlContainer } from '@testcontainers/postgresql';
import { Client } from 'pg';
import { type BackingSource, chooseSource, requireEnv, uniqueName } from './backing';

export const POSTGRES_IMAGE = 'postgres:17.6-alpine';

export interface TestPostgres {
  /** Connection URL of a database that belongs to this test alone. */
  url: string;
  source: BackingSource;
  /** Drops the database (native) or removes the container. */
  stop(): Promise<void>;
}

/**
 * A fresh, empty PostgreSQL database. On the native server each call creates its own database,
 * so test files running in parallel never see each other's tables.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const source = await chooseSource('MESH_TEST_POSTGRES_URL');
  if (source === 'testcontainers') {
    const container = await new PostgreSqlContainer(POSTGRES_IMAGE).start();
    return {
      url: container.getConnectionUri(),
      source,
      stop: async () => void (await container.stop()),
    };
  }

  const adminUrl = requireEnv('MESH_TEST_POSTGRES_URL');
  const database = uniqueName('test');
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE ${database}`));
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return {
    url: url.toString(),
    source,
    stop: () =>
      withClient(adminUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`),
      ).then(() => undefined),
  };
}

/** One short-lived connection for administrative statements. */
export async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
