import type { Logger } from '@mesh/telemetry';
import { Redis } from 'ioredis';

/**
 * A Redis client that fails fast during an outage instead of queueing commands: the payment
 * service then carries on with its database guard alone.
 */
export function createRedis(url: string, settings: { keyPrefix: string; logger: Logger }): Redis {
  const redis = new Redis(url, {
    keyPrefix: settings.keyPrefix,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    // A Redis that hangs rather than refuses must not hold up charges either.
    commandTimeout: 1_000,
  });
  // Without a listener ioredis reports every failed reconnect as an unhandled error event.
  redis.on('error', (error) => settings.logger.warn({ err: error }, 'Redis connection error'));
  return redis;
}
