import type { Logger } from '@mesh/telemetry';
import { Redis } from 'ioredis';

/**
 * Redis for the rate limiter. Fails fast instead of queueing while Redis is away (the limiter
 * then lets requests through), and gives up on a command that hangs, so a sick Redis adds at
 * most this much to a request.
 */
const COMMAND_TIMEOUT_MS = 500;

export function createRedis(settings: { url: string; keyPrefix: string }, logger: Logger): Redis {
  const redis = new Redis(settings.url, {
    keyPrefix: settings.keyPrefix,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    commandTimeout: COMMAND_TIMEOUT_MS,
  });
  // Without a listener ioredis prints every failed reconnect; it keeps reconnecting either way.
  redis.on('error', (error) => logger.warn({ err: error }, 'redis connection failed'));
  return redis;
}
