import { createLogger } from '@mesh/telemetry';
import { capturedLogger } from '@mesh/telemetry-testing';
import { failStart, loadConfig, postgresSpec, redisSpec, shutdown } from '../src';

const logger = createLogger({ level: 'silent' });

describe('shutdown', () => {
  it('when a step hangs or throws, then the later steps still run and the whole stays within the limits', async () => {
    const ran: string[] = [];
    const started = Date.now();
    const clean = await shutdown(
      [
        { name: 'server', close: () => ran.push('server') },
        { name: 'stuck consumer', close: () => new Promise(() => undefined), timeoutMs: 100 },
        {
          name: 'broken pool',
          close: () => {
            throw new Error('already closed');
          },
        },
        { name: 'redis', close: async () => ran.push('redis') },
      ],
      logger,
    );
    expect(ran).toEqual(['server', 'redis']);
    expect(clean).toBe(false);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('when every step closes, then shutdown reports a clean stop', async () => {
    await expect(
      shutdown([{ name: 'server', close: async () => undefined }], logger),
    ).resolves.toBe(true);
  });
});

describe('failStart', () => {
  let exit: jest.SpyInstance;
  beforeEach(() => {
    exit = jest.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
  });
  afterEach(() => exit.mockRestore());

  function failWith(error: unknown) {
    const { logger, lines } = capturedLogger();
    failStart(logger, error);
    expect(exit).toHaveBeenCalledWith(1);
    expect(lines).toHaveLength(1);
    return lines[0] as { level: string; msg: string; err: Record<string, unknown> };
  }

  it('when the configuration has a bad URL with a password, then the fatal log names it without the password', () => {
    let error: unknown;
    try {
      loadConfig(postgresSpec('orders'), { DATABASE_URL: 'postgres://mesh:s3cr3t@db:port/mesh' });
    } catch (e) {
      error = e;
    }
    const line = failWith(error);
    expect(line).toMatchObject({ level: 'fatal', msg: 'failed to start' });
    expect(line.err.type).toBe('ConfigError');
    expect(line.err.message).toContain('DATABASE_URL');
    expect(line.err.message).toContain('postgres://mesh:***@db:port/mesh');
    expect(JSON.stringify(line)).not.toContain('s3cr3t');
  });

  it('when a start error carries a URL with credentials in its message, fields or cause, then none of them is logged', () => {
    let invalidUrl: unknown;
    try {
      new URL('postgres://mesh:s3cr3t@db:99999999/mesh');
    } catch (e) {
      invalidUrl = e;
    }
    // Node's URL error keeps the input as a field, which the logger prints.
    const direct = failWith(invalidUrl);
    expect(direct.err.input).toBe('postgres://mesh:***@db:99999999/mesh');
    expect(JSON.stringify(direct)).not.toContain('s3cr3t');

    const config = loadConfig(redisSpec({ keyPrefix: 'x:', purpose: 'test' }), {
      REDIS_URL: 'redis://:hunter2@cache:6379',
    });
    const wrapped = failWith(
      new Error('redis did not answer', { cause: new Error(`no route to ${config.REDIS_URL}`) }),
    );
    expect(wrapped.err.message).toBe('redis did not answer: no route to redis://:***@cache:6379');
    expect(wrapped.err.stack).toMatch(/^Error: redis did not answer\n/);
    expect(JSON.stringify(wrapped)).not.toContain('hunter2');
  });
});
