import type { Server } from 'node:http';
import { PROBLEM_CONTENT_TYPE } from '@mesh/contracts';
import type { Logger } from '@mesh/telemetry';
import Fastify, {
  type FastifyError,
  type FastifyHttpOptions,
  type FastifyInstance,
  LogController,
} from 'fastify';
import { AppError } from './errors';
import {
  type AppSettings,
  checkReadiness,
  DEFAULT_BODY_LIMIT_BYTES,
  notReady,
  type ReadinessChecks,
  type ServerLimits,
} from './health';
import { reportError } from './problem-reporting';
import { traceResponseHeaders } from './trace-headers';
import { compileValidator, invalidRequest, pointersOf, type RequestPart } from './validation';

/** Server options shared by the fastify services. */
export function fastifyOptions(settings: {
  logger: Logger;
  bodyLimit?: number;
  serverLimits?: ServerLimits;
}): FastifyHttpOptions<Server> {
  return {
    ...(settings.serverLimits ? serverLimitOptions(settings.serverLimits) : {}),
    // Our pino logger, so fastify's own lines carry trace ids and are exported like the rest.
    loggerInstance: settings.logger,
    // One line per request would dominate the logs under load; spans and metrics cover requests.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: settings.bodyLimit ?? DEFAULT_BODY_LIMIT_BYTES,
    // Behind a proxy or load balancer this would be set, to rate limit by the client's address.
    trustProxy: false,
  };
}

function serverLimitOptions(limits: ServerLimits): FastifyHttpOptions<Server> {
  return {
    connectionTimeout: limits.connectionTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    maxRequestsPerSocket: limits.maxRequestsPerSocket,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      // Node enforces the headers and request timeouts in a sweep, every 30 s by default: a
      // trickling client would keep its socket up to that much longer than the limit says.
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
    },
  };
}

const STATUS_CODES: Record<number, string> = {
  400: 'invalid-request',
  404: 'route-not-found',
  405: 'method-not-allowed',
  413: 'body-too-large',
  415: 'unsupported-media-type',
  429: 'rate-limited',
};

/** Fastify's own errors (parsing, limits, validation) as AppErrors with stable codes. */
function toAppError(error: FastifyError): unknown {
  if (error instanceof AppError) return error;
  if (error.validation) {
    return invalidRequest(pointersOf(error.validation as never, error.validationContext ?? 'body'));
  }
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
    return new AppError('malformed-json', { detail: 'The body is not valid JSON.', cause: error });
  }
  if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return new AppError('invalid-request', { detail: 'The JSON body is empty.', cause: error });
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return new AppError(STATUS_CODES[status] ?? 'invalid-request', {
      status,
      detail: error.message,
      cause: error,
    });
  }
  return error;
}

/**
 * Wires what every fastify service does the same way: Ajv validation (strict bodies, coerced
 * query and params), problem+json for every error and unknown route, and trace-id headers.
 */
export function registerPlatform(app: FastifyInstance, logger: Logger): void {
  // The APIs speak JSON only; without this, fastify would parse text/plain bodies into strings.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const validator = compileValidator(schema as never, (httpPart ?? 'body') as RequestPart);
    return (data: unknown) =>
      validator(data)
        ? { value: data }
        : { error: Object.assign(new Error('invalid'), { validation: validator.errors }) };
  });
  app.setSchemaErrorFormatter((errors, context) =>
    Object.assign(invalidRequest(pointersOf(errors as never, context)), { validation: undefined }),
  );
  app.addHook('onRequest', async (_request, reply) => {
    reply.headers(traceResponseHeaders());
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, headers, problem } = reportError(toAppError(error), logger, request.url);
    return reply.code(status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(problem);
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new AppError('route-not-found', {
      detail: `No route for ${request.method} ${request.url.split('?')[0]}`,
    });
    const { status, problem } = reportError(error, logger, request.url);
    return reply.code(status).type(PROBLEM_CONTENT_TYPE).send(problem);
  });
}

/** `/healthz` (alive) and `/readyz` (dependencies reachable), outside any auth. */
export function registerHealthRoutes(app: FastifyInstance, checks: ReadinessChecks): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async () => {
    const readiness = await checkReadiness(checks);
    if (readiness.ready) return { status: 'ready', checks: readiness.checks };
    throw notReady(readiness);
  });
}

/**
 * A fastify service's app with the platform every Mesh service has: trace-id headers,
 * /healthz and /readyz, JSON bodies only, problem+json for unknown routes and every error.
 * Never listens: main.ts does, tests use inject.
 */
export function createFastifyApp(settings: AppSettings<FastifyInstance>): FastifyInstance {
  const app = Fastify(
    fastifyOptions({
      logger: settings.logger,
      bodyLimit: settings.bodyLimitBytes,
      serverLimits: settings.serverLimits,
    }),
  );
  if (settings.serverLimits) app.server.maxConnections = settings.serverLimits.maxConnections;
  registerPlatform(app, settings.logger);
  registerHealthRoutes(app, settings.readiness);
  settings.routes(app);
  return app;
}
