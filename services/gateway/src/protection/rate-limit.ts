import rateLimit from '@fastify/rate-limit';
import type { Redis } from '@mesh/service-kit';
import { AppError } from '@mesh/service-kit';
import type { FastifyInstance } from 'fastify';
import type { GatewayMetrics } from '../metrics';
import { API_KEY_HEADER, type ApiKeys } from './api-keys';

export interface RateLimitSettings {
  max: number;
  windowMs: number;
}

/**
 * A fixed-window limit per client, counted in Redis so that every gateway replica shares it.
 * Clients with a valid key are counted per key (by its hash); everyone else per IP address, so
 * guessing keys is rate limited too. A Redis outage lets traffic through rather than refusing
 * it: the limit protects the services behind, it must not become their single point of failure.
 */
export async function registerRateLimit(
  app: FastifyInstance,
  deps: {
    redis: Redis;
    apiKeys: ApiKeys;
    settings: RateLimitSettings;
    metrics: GatewayMetrics;
  },
): Promise<void> {
  await app.register(rateLimit, {
    max: deps.settings.max,
    timeWindow: deps.settings.windowMs,
    redis: deps.redis,
    // Below the client's keyPrefix (REDIS_KEY_PREFIX), e.g. "gateway:rate-limit:key:3f2a…".
    nameSpace: 'rate-limit:',
    skipOnError: true,
    keyGenerator: (request) => {
      const client = deps.apiKeys.identify(request.headers[API_KEY_HEADER]);
      return client ? `key:${client}` : `ip:${request.ip}`;
    },
    onExceeded: (_request, key) => {
      deps.metrics.countRateLimited(key.startsWith('key:') ? 'api-key' : 'ip');
    },
    // Thrown by the plugin, rendered as problem+json by the platform's error handler; the plugin
    // has already set Retry-After and the x-ratelimit-* headers on the reply.
    errorResponseBuilder: (_request, context) =>
      new AppError('rate-limited', {
        detail: `More than ${context.max} requests in ${deps.settings.windowMs / 1000} s; retry in ${context.after}.`,
      }),
  });
}
