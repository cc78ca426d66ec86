import { once } from 'node:events';
import type { Redis } from '@mesh/service-kit';
import { createLogger } from '@mesh/telemetry';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app';
import { loadGatewayConfig } from '../../src/config';
import { createDependencies } from '../../src/dependencies';
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
  { waitForRedis = true } = {},
): Promise<TestGateway> {
  const config = loadGatewayConfig({
    LOG_LEVEL: 'silent',
    API_KEYS: `${API_KEY},${OTHER_API_KEY}`,
    ...env,
  });
  const logger = createLogger({ name: 'gateway', level: config.LOG_LEVEL });
  const deps = createDependencies(config, logger);
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
