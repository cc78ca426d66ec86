import rateLimit from '@fastify/rate-limit';
import type { Redis } from '@mesh/service-kit';
import { AppError } from '@mesh/service-kit';
import type { Logger } from '@mesh/telemetry';
import type { FastifyInstance } from 'fastify';
import type { GatewayMetrics } from '../metrics';
import { API_KEY_HEADER, type ApiKeys } from './api-keys';

export interface RateLimitSettings {
  max: number;
  windowMs: number;
}

/** While Redis stays away, a reminder that requests pass unlimited, at most this often. */
const UNCHECKED_LOG_INTERVAL_MS = 60_000;

/**
 * A fixed-window limit per client, counted in Redis so that every gateway replica shares it.
 * Clients with a valid key are counted per key (by its hash); everyone else per IP address, so
 * guessing keys is rate limited too.
 *
 * When Redis cannot count (down, timing out, or refusing writes when full), the request passes
 * unchecked: fail open, on purpose. The limit protects the services behind from one greedy
 * client; refusing every client while Redis is away would turn a cache outage into a full one.
 * The load shedding in front of it (load-shedding.ts) still bounds what one gateway lets
 * through. Each unchecked request is counted (mesh.gateway.rate_limit.unchecked) and logged
 * once per minute at most, with how many passed since the last line.
 */
export async function registerRateLimit(
  app: FastifyInstance,
  deps: {
    redis: Redis;
    apiKeys: ApiKeys;
    settings: RateLimitSettings;
    metrics: GatewayMetrics;
    logger: Logger;
  },
): Promise<void> {
  await app.register(rateLimit, {
    // Applied by the hook below, which decides what a Redis failure means.
    global: false,
    max: deps.settings.max,
    timeWindow: deps.settings.windowMs,
    redis: deps.redis,
    // Below the client's keyPrefix (REDIS_KEY_PREFIX), e.g. "gateway:rate-limit:key:3f2a…".
    nameSpace: 'rate-limit:',
    // A failure to count reaches the hook below instead of passing in silence.
    skipOnError: false,
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
      new RateLimited(
        `More than ${context.max} requests in ${deps.settings.windowMs / 1000} s; retry in ${context.after}.`,
      ),
  });
  const limit = app.rateLimit();
  const unchecked = uncheckedReporter(deps.logger, deps.metrics);
  app.addHook('onRequest', async function checkRateLimit(request, reply) {
    try {
      await limit.call(app, request, reply);
    } catch (error) {
      if (error instanceof RateLimited) throw error;
      unchecked(error);
    }
  });
}

/** The plugin's refusal, told apart from a failure of the store. */
class RateLimited extends AppError {
  constructor(detail: string) {
    super('rate-limited', { detail });
  }
}

function uncheckedReporter(logger: Logger, metrics: GatewayMetrics): (error: unknown) => void {
  let passedSinceLog = 0;
  let lastLogAt = Number.NEGATIVE_INFINITY;
  return (error) => {
    metrics.countRateLimitUnchecked();
    passedSinceLog += 1;
    const now = Date.now();
    if (now - lastLogAt < UNCHECKED_LOG_INTERVAL_MS) return;
    logger.warn(
      { err: error, passedUnchecked: passedSinceLog },
      'rate limit not checked: Redis cannot count; requests pass without a limit',
    );
    lastLogAt = now;
    passedSinceLog = 0;
  };
}
