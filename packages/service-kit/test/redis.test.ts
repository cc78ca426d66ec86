import { once } from 'node:events';
import { capturedLogger } from '@mesh/telemetry-testing';
import { startRedis, type TestRedis } from '@mesh/testkit';
import { createRedis } from '../src';

describe('createRedis', () => {
  let server: TestRedis;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(() => server?.stop());

  it('when Redis answers, then commands run under the key prefix', async () => {
    const { logger } = capturedLogger();
    const redis = createRedis(server.url, { name: 'test', keyPrefix: server.keyPrefix, logger });
    try {
      await once(redis, 'ready');
      await redis.set('greeting', 'hello');
      expect(await redis.keys(`${server.keyPrefix}greeting`)).toEqual([
        `${server.keyPrefix}greeting`,
      ]);
      await redis.del('greeting');
    } finally {
      redis.disconnect();
    }
  });

  it('when Redis is unreachable, then commands fail at once and the outage is logged once, never thrown', async () => {
    const { logger, lines } = capturedLogger();
    const redis = createRedis('redis://127.0.0.1:1', {
      name: 'product cache',
      keyPrefix: 'x:',
      logger,
      fallback: 'serving reads from PostgreSQL',
    });
    try {
      const started = Date.now();
      await expect(redis.get('anything')).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(1_000);
      // Several reconnect attempts fail meanwhile; without the listener each would crash.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const warnings = lines.filter((line) => line.level === 'warn');
      expect(warnings).toEqual([
        expect.objectContaining({
          msg: 'Redis unavailable; serving reads from PostgreSQL',
          redis: 'product cache',
        }),
      ]);
    } finally {
      redis.disconnect();
    }
  });
});
