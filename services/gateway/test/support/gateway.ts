import { once } from 'node:events';
import { type Faults, noFaults, type Redis } from '@mesh/service-kit';
import { createLogger, type Logger } from '@mesh/telemetry';
import { capturedLogger as captureLogLines } from '@mesh/telemetry-testing';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app';
import { loadGatewayConfig } from '../../src/config';
import { createDependencies } from '../../src/dependencies';
import type { GatewayMetrics } from '../../src/metrics';
import { API_KEY, OTHER_API_KEY } from './api-keys';

export interface TestGateway {
  app: FastifyInstance;
  redis: Redis;
  close(): Promise<void>;
}

/**
 * The gateway as main.ts wires it, from environment variables (so the config is exercised
 * too), against the given Redis and fake services.
 */
export async function startGateway(
  env: Record<string, string>,
  options: {
    waitForRedis?: boolean;
    /** Instead of the silent default, e.g. to assert what was logged. */
    logger?: Logger;
    /** Instead of the OpenTelemetry meter, to assert what was counted. */
    metrics?: GatewayMetrics;
    /** The workshop fault flags; none by default. */
    faults?: Faults;
  } = {},
): Promise<TestGateway> {
  const { waitForRedis = true } = options;
  const config = loadGatewayConfig({
    LOG_LEVEL: 'silent',
    API_KEYS: `${API_KEY},${OTHER_API_KEY}`,
    ...env,
  });
  const logger = options.logger ?? createLogger({ name: 'gateway', level: config.LOG_LEVEL });
  const deps = createDependencies(config, logger, options.faults ?? noFaults);
  if (options.metrics) deps.metrics = options.metrics;
  const { redis } = deps;
  const app = buildApp(deps);
  await app.ready();
  // The client does not queue commands while it connects, so a test waits for the connection.
  if (waitForRedis) await once(redis, 'ready');
  return {
    app,
    redis,
    close: async () => {
      await app.close();
      redis.disconnect();
    },
  };
}

/** Asserts a problem+json answer and returns the problem document. */
export function expectProblem(response: LightMyRequestResponse, status: number, code: string) {
  expect({ status: response.statusCode, body: response.json() }).toMatchObject({
    status,
    body: { status, code, type: `urn:mesh:problem:${code}` },
  });
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  return response.json() as {
    detail?: string;
    errors?: Array<{ pointer: string }>;
    orderId?: string;
  };
}

/** Metrics that keep what was counted, by method name, for tests to assert. */
export function countingMetrics(): GatewayMetrics & { counts: Record<string, number> } {
  const counts: Record<string, number> = {};
  const count = (name: string) => () => {
    counts[name] = (counts[name] ?? 0) + 1;
  };
  return {
    counts,
    countRateLimited: count('rateLimited'),
    countRateLimitUnchecked: count('rateLimitUnchecked'),
    countShed: count('shed'),
    countUpstreamRetry: count('upstreamRetry'),
  };
}

export type { LogLine } from '@mesh/telemetry-testing';

/** A logger named like the gateway's, whose JSON lines are kept for assertions. */
export const capturedLogger = (level = 'debug') => captureLogLines(level, 'gateway');
