import type { Logger } from '@mesh/telemetry';
import { Redis } from 'ioredis';

/**
 * The Redis client for the product cache. A Redis outage must cost cache hits, never requests:
 * commands fail fast instead of queueing while disconnected, a slow server is given up on after
 * a short time, and reads fall back to PostgreSQL.
 */
export function createRedis(url: string, settings: { keyPrefix: string; logger: Logger }): Redis {
  const redis = new Redis(url, {
    keyPrefix: settings.keyPrefix,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    // A cache read slower than this is slower than reading PostgreSQL directly.
    commandTimeout: 500,
  });
  // Without a listener ioredis prints every failed reconnect; the cache logs what it skipped.
  let reported = false;
  redis.on('error', (error) => {
    if (reported) return;
    reported = true;
    settings.logger.warn({ err: error }, 'Redis unavailable; serving reads from PostgreSQL');
  });
  redis.on('ready', () => {
    if (reported) settings.logger.info('Redis available again');
    reported = false;
  });
  return redis;
}
