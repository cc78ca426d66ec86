import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createRedis } from '@mesh/service-kit';
import { startRedis, type TestRedis } from '@mesh/testkit';
import { Redis } from 'ioredis';
import { PaymentLock } from '../src/data/payment-lock';
import { silentLogger } from './support/payment-app';

describe('PaymentLock', () => {
  let testRedis: TestRedis;
  let redis: Redis;
  let raw: Redis;

  beforeAll(async () => {
    testRedis = await startRedis();
    redis = createRedis(testRedis.url, {
      name: 'payment lock',
      keyPrefix: testRedis.keyPrefix,
      logger: silentLogger,
    });
    raw = new Redis(testRedis.url);
    await once(redis, 'ready');
  });
  afterAll(async () => {
    const keys = await raw.keys(`${testRedis.keyPrefix}*`);
    if (keys.length > 0) await raw.del(...keys);
    redis.disconnect();
    raw.disconnect();
    await testRedis.stop();
  });

  it('when a lock is taken, then it is <prefix>lock:<orderId> with a TTL, and held elsewhere until released', async () => {
    const lock = new PaymentLock(redis, 5_000);
    const orderId = randomUUID();
    const key = `${testRedis.keyPrefix}lock:${orderId}`;

    const first = await lock.acquire(orderId);
    expect(first.outcome).toBe('acquired');
    expect(await raw.get(key)).toMatch(/^[0-9a-f-]{36}$/);
    const ttl = await raw.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5_000);
    expect((await lock.acquire(orderId)).outcome).toBe('held-elsewhere');

    if (first.outcome === 'acquired') await first.release();
    expect(await raw.exists(key)).toBe(0);
    expect((await lock.acquire(orderId)).outcome).toBe('acquired');
  });

  it('when a lock expired and another request took it, then the first owner cannot release it', async () => {
    const lock = new PaymentLock(redis, 50);
    const orderId = randomUUID();
    const key = `${testRedis.keyPrefix}lock:${orderId}`;

    const stale = await lock.acquire(orderId);
    await new Promise((resolve) => setTimeout(resolve, 80));
    const fresh = await new PaymentLock(redis, 5_000).acquire(orderId);
    expect(fresh.outcome).toBe('acquired');
    const freshToken = await raw.get(key);

    if (stale.outcome === 'acquired') await stale.release();
    expect(await raw.get(key)).toBe(freshToken);
  });

  it('when Redis is unreachable, then the lock is unavailable instead of failing', async () => {
    const down = createRedis('redis://127.0.0.1:1', {
      name: 'payment lock',
      keyPrefix: 'x:',
      logger: silentLogger,
    });
    try {
      const attempt = await new PaymentLock(down, 1_000).acquire(randomUUID());
      expect(attempt.outcome).toBe('unavailable');
    } finally {
      down.disconnect();
    }
  });
});
