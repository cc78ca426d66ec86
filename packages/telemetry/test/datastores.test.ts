import { type OtlpCapture, startOtlpCapture } from '@mesh/otlp-capture';
import { startPostgres, startRedis, type TestPostgres, type TestRedis } from '@mesh/testkit';
import { Fixture, fastExportEnv } from './support/fixture';

describe('PostgreSQL and Redis spans against the real servers', () => {
  let postgres: TestPostgres;
  let redis: TestRedis;
  let capture: OtlpCapture;

  beforeAll(async () => {
    [postgres, redis, capture] = await Promise.all([
      startPostgres(),
      startRedis(),
      startOtlpCapture(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([postgres?.stop(), redis?.stop(), capture?.close()]);
  });

  it('when a unit of work queries PostgreSQL and Redis, then each call is a CLIENT span under it', async () => {
    const fixture = Fixture.start('datastores', {
      PG_URL: postgres.url,
      REDIS_URL: redis.url,
      KEY_PREFIX: redis.keyPrefix,
      ...fastExportEnv(capture.url),
    });
    const { parent } = await fixture.message<{
      type: string;
      parent: { traceId: string; spanId: string };
    }>('done');
    await fixture.exited;

    const children = capture
      .spans()
      .filter((s) => s.traceId === parent.traceId && s.parentSpanId === parent.spanId);
    const system = (attributes: Record<string, unknown>) =>
      attributes['db.system.name'] ?? attributes['db.system'];

    const queries = children.filter((s) => system(s.attributes) === 'postgresql');
    expect(queries.map((s) => s.kind)).toEqual(['CLIENT']);
    const queryText =
      queries[0]?.attributes['db.query.text'] ?? queries[0]?.attributes['db.statement'];
    expect(queryText).toBe('SELECT $1::int + 1 AS answer');

    const commands = children.filter((s) => system(s.attributes) === 'redis');
    expect(commands.map((s) => s.name).sort()).toEqual(['eval', 'get', 'set']);
    expect(commands.every((s) => s.kind === 'CLIENT')).toBe(true);
    // The command and its key; never a value or a script's arguments.
    const statements = commands
      .map((s) => String(s.attributes['db.query.text'] ?? s.attributes['db.statement']))
      .sort();
    const key = `${redis.keyPrefix}greeting`;
    expect(statements).toEqual([
      'eval [4 arguments]',
      `get ${key}`,
      `set ${key} [3 more arguments]`,
    ]);
    const recorded = JSON.stringify(
      commands.map((s) => s.attributes),
      (_key, value) => (typeof value === 'bigint' ? String(value) : value),
    );
    expect(recorded).not.toMatch(/secret-argument|hello/);
  });
});
