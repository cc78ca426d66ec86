import { randomUUID } from 'node:crypto';
import type { Redis } from '@mesh/service-kit';

export type LockAttempt =
  | { outcome: 'acquired'; release: () => Promise<void> }
  | { outcome: 'held-elsewhere' }
  | { outcome: 'unavailable'; error: unknown };

// Deletes the lock only while it still holds our token: after our TTL ran out another request
// may own it, and that lock is not ours to release (https://redis.io/docs/latest/commands/set/).
const RELEASE_IF_OWNER = `
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0`;

/**
 * One lock per order in Redis (`lock:<orderId>` under the client's key prefix), so that
 * concurrent charges of the same order mostly never reach the processor together. It is an
 * optimisation in front of the unique order id in PostgreSQL, which stays the final guard.
 */
export class PaymentLock {
  constructor(
    private readonly redis: Redis,
    private readonly ttlMs: number,
  ) {}

  async acquire(orderId: string): Promise<LockAttempt> {
    const key = `lock:${orderId}`;
    const token = randomUUID();
    let reply: string | null;
    try {
      reply = await this.redis.set(key, token, 'PX', this.ttlMs, 'NX');
    } catch (error) {
      return { outcome: 'unavailable', error };
    }
    if (reply !== 'OK') return { outcome: 'held-elsewhere' };
    return {
      outcome: 'acquired',
      release: async () => {
        await this.redis.eval(RELEASE_IF_OWNER, 1, key, token);
      },
    };
  }
}
