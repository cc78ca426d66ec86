import type { Logger } from '@mesh/telemetry';
import { Redis } from 'ioredis';

export type { Redis } from 'ioredis';

export interface RedisSettings {
  /** What this client is for, in its log lines: "rate limiter", "product cache". */
  name: string;
  /** Prefix of every key the service writes, so services can share one Redis. */
  keyPrefix: string;
  logger: Logger;
  /** Give up on a command after this long. Default 500 ms: Redis answers in about 1 ms. */
  commandTimeoutMs?: number;
  /** Give up on a connection attempt after this long. Default 2 s. */
  connectTimeoutMs?: number;
  /** What the service does while Redis is away, for the log: "serving reads from PostgreSQL". */
  fallback?: string;
}

/**
 * The one way a Mesh service makes its Redis client. In every service Redis is an optimisation
 * or a guard with a fallback (the rate limit, the product cache, the payment lock), so an outage
 * must cost that, never a request:
 * - it connects at once (not lazily), so the first request does not pay for the connection and
 *   readiness reports a Redis that is down from the start;
 * - no offline queue and one retry per command: while Redis is away, a command fails at once
 *   instead of waiting in a queue for a reconnect, and the caller takes its fallback;
 * - bounded connect and command timeouts, so a Redis that hangs rather than refuses is given up on;
 * - an 'error' listener, without which every failed reconnect would be an unhandled error event;
 *   it logs an outage once (ioredis reports every reconnect attempt) and its end once.
 * ioredis keeps reconnecting in the background for as long as the client is open.
 */
export function createRedis(url: string, settings: RedisSettings): Redis {
  const logger = settings.logger.child({ component: 'redis', redis: settings.name });
  const redis = new Redis(url, {
    keyPrefix: settings.keyPrefix,
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: settings.connectTimeoutMs ?? 2_000,
    commandTimeout: settings.commandTimeoutMs ?? 500,
  });
  let unavailable = false;
  redis.on('error', (error) => {
    if (unavailable) return;
    unavailable = true;
    const fallback = settings.fallback ? `; ${settings.fallback}` : '';
    logger.warn({ err: error }, `Redis unavailable${fallback}`);
  });
  redis.on('ready', () => {
    if (unavailable) logger.info('Redis available again');
    unavailable = false;
  });
  return redis;
}
