import { PROBLEM_CONTENT_TYPE } from '@mesh/contracts';
import type { Logger } from '@mesh/telemetry';
import type { TSchema } from '@sinclair/typebox';
import express, {
  type ErrorRequestHandler,
  type Express,
  type RequestHandler,
  type Router,
} from 'express';
import { AppError } from './errors';
import {
  type AppSettings,
  checkReadiness,
  DEFAULT_BODY_LIMIT_BYTES,
  notReady,
  type ReadinessChecks,
} from './health';
import { reportError } from './problem-reporting';
import { traceResponseHeaders } from './trace-headers';
import { compileValidator, validate } from './validation';

/** Every response names its trace (see traceResponseHeaders). */
export function traceHeaders(): RequestHandler {
  return (_req, res, next) => {
    res.set(traceResponseHeaders());
    next();
  };
}

/**
 * JSON bodies only, at most `limit` bytes. Body-parser's own failures become problems:
 * too large → 413, unparseable → 400 malformed-json, a body that is not JSON → 415.
 */
export function jsonBody(limit: string | number): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    const hasBody =
      req.headers['transfer-encoding'] !== undefined ||
      Number(req.headers['content-length'] ?? 0) > 0;
    if (hasBody && !req.is('application/json')) {
      next(
        new AppError('unsupported-media-type', { detail: 'Send the body as application/json.' }),
      );
      return;
    }
    next();
  };
  const parse = express.json({ limit, strict: true });
  const translate: ErrorRequestHandler = (error, _req, _res, next) => {
    const type = (error as { type?: string }).type;
    if (type === 'entity.too.large') {
      next(
        new AppError('body-too-large', {
          detail: `The body must be at most ${limit} bytes.`,
          cause: error,
        }),
      );
    } else if (type === 'entity.parse.failed') {
      next(new AppError('malformed-json', { detail: 'The body is not valid JSON.', cause: error }));
    } else if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
      next(
        new AppError('unsupported-media-type', {
          detail: 'Send the body as UTF-8 JSON.',
          cause: error,
        }),
      );
    } else {
      next(error);
    }
  };
  return [requireJson, parse, translate as unknown as RequestHandler];
}

export interface RequestSchemas {
  body?: TSchema;
  params?: TSchema;
}

/** Validates body (strictly) and path parameters against JSON Schemas; 400 with pointers if not. */
export function validateRequest(schemas: RequestSchemas): RequestHandler {
  const body = schemas.body && compileValidator(schemas.body, 'body');
  const params = schemas.params && compileValidator(schemas.params, 'params');
  return (req, _res, next) => {
    try {
      if (params) validate(params, req.params, 'params');
      if (body) validate(body, req.body ?? undefined, 'body');
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** `/healthz` (alive) and `/readyz` (dependencies reachable), both outside any auth. */
export function healthRoutes(router: Router, checks: ReadinessChecks): void {
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res, next) => {
    const readiness = await checkReadiness(checks);
    if (readiness.ready) {
      res.json({ status: 'ready', checks: readiness.checks });
      return;
    }
    next(notReady(readiness));
  });
}

export function notFound(): RequestHandler {
  return (req, _res, next) => {
    next(new AppError('route-not-found', { detail: `No route for ${req.method} ${req.path}` }));
  };
}

/** The one error handler of an express service: every error leaves as problem+json. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const { status, headers, problem } = reportError(error, logger, req.originalUrl);
    res
      .status(status)
      .set(headers)
      .set(traceResponseHeaders())
      .type(PROBLEM_CONTENT_TYPE)
      .send(JSON.stringify(problem));
  };
}

/**
 * An express service's app with the platform every Mesh service has: trace-id headers,
 * /healthz and /readyz, JSON bodies only, problem+json for unknown routes and every error.
 * Never listens: main.ts does, tests call it in-process.
 */
export function createExpressApp(settings: AppSettings<Express>): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(traceHeaders());
  healthRoutes(app, settings.readiness);
  app.use(jsonBody(settings.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES));
  settings.routes(app);
  app.use(notFound());
  app.use(problemHandler(settings.logger));
  return app;
}
