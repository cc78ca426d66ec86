import Redis from 'ioredis';
import { Client } from 'pg';
import { startDedicatedPostgres, startDedicatedRedis } from '../src';

async function query(url: string): Promise<number> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
    return rows[0]?.one ?? 0;
  } finally {
    await client.end();
  }
}

async function ping(url: string): Promise<string> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await redis.ping();
  } finally {
    redis.disconnect();
  }
}

describe('servers a test may stop', () => {
  it('when a dedicated PostgreSQL is halted, then it refuses connections, and after resume it serves the same data', async () => {
    const postgres = await startDedicatedPostgres();
    try {
      await expect(query(postgres.url)).resolves.toBe(1);
      const client = new Client({ connectionString: postgres.url });
      await client.connect();
      await client.query('CREATE TABLE kept (id int)');
      client.on('error', () => undefined);
      expect(await postgres.terminateConnections()).toBeGreaterThanOrEqual(1);
      await expect(client.query('SELECT 1')).rejects.toThrow();
      await postgres.halt();
      await expect(query(postgres.url)).rejects.toThrow();
      await postgres.resume();
      await expect(query(postgres.url)).resolves.toBe(1);
      const again = new Client({ connectionString: postgres.url });
      await again.connect();
      await expect(again.query('SELECT count(*) FROM kept')).resolves.toBeDefined();
      await again.end();
    } finally {
      await postgres.stop();
    }
  });

  it('when a dedicated Redis is halted, then it refuses connections, and after resume it serves again', async () => {
    const redis = await startDedicatedRedis();
    try {
      await expect(ping(redis.url)).resolves.toBe('PONG');
      await redis.halt();
      await expect(ping(redis.url)).rejects.toThrow();
      await redis.resume();
      await expect(ping(redis.url)).resolves.toBe('PONG');
    } finally {
      await redis.stop();
    }
  });
});
