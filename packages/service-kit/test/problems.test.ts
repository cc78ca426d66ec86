import type { AddressInfo } from 'node:net';
import { OrderParams } from '@mesh/contracts';
import { createLogger } from '@mesh/telemetry';
import { Type } from '@sinclair/typebox';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { AppError, optionalCheck } from '../src';
import {
  healthRoutes,
  jsonBody,
  notFound,
  problemHandler,
  traceHeaders,
  validateRequest,
} from '../src/express';
import { registerHealthRoutes, registerPlatform } from '../src/fastify';

const logger = createLogger({ level: 'silent' });

const Body = Type.Object(
  { name: Type.String({ minLength: 1 }), quantity: Type.Integer({ minimum: 1 }) },
  { additionalProperties: false },
);
const Params = Type.Object({ id: Type.String({ format: 'uuid' }) });
const Query = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, default: 5 })),
});
const ID = '5b0c7c1e-8d2f-4f5a-9a57-1f0b1c2d3e4f';

function buildExpress(): express.Express {
  const app = express();
  app.use(traceHeaders());
  healthRoutes(app, {
    fine: async () => undefined,
    broken: async () => Promise.reject(new Error('down')),
    helper: optionalCheck(async () => Promise.reject(new Error('down'))),
  });
  app.use(jsonBody(1024));
  app.get('/orders/:id', validateRequest({ params: OrderParams }), (req, res) => {
    res.json({ id: req.params.id });
  });
  app.post('/things/:id', validateRequest({ body: Body, params: Params }), (req, res) => {
    res.status(201).json({ id: req.params.id, ...req.body });
  });
  app.get('/boom', () => {
    throw new Error('secret internal detail');
  });
  app.get('/gone', () => {
    throw new AppError('order-not-found', { detail: 'No order 42.' });
  });
  app.use(notFound());
  app.use(problemHandler(logger));
  return app;
}

function buildFastify(): FastifyInstance {
  const app = Fastify({ bodyLimit: 1024 });
  registerPlatform(app, logger);
  registerHealthRoutes(app, {
    fine: async () => undefined,
    broken: async () => Promise.reject(new Error('down')),
    helper: optionalCheck(async () => Promise.reject(new Error('down'))),
  });
  app.get('/orders/:id', { schema: { params: OrderParams } }, async (request) => request.params);
  app.post('/things/:id', { schema: { body: Body, params: Params } }, async (request, reply) => {
    reply.code(201);
    return { id: (request.params as { id: string }).id, ...(request.body as object) };
  });
  app.get('/list', { schema: { querystring: Query } }, async (request) => request.query);
  app.get('/boom', async () => {
    throw new Error('secret internal detail');
  });
  app.get('/gone', async () => {
    throw new AppError('order-not-found', { detail: 'No order 42.' });
  });
  return app;
}

describe.each(['express', 'fastify'] as const)('problem+json in %s', (framework) => {
  let base: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    if (framework === 'express') {
      const server = buildExpress().listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      close = () => new Promise((resolve) => server.close(() => resolve()));
    } else {
      const app = buildFastify();
      base = await app.listen({ port: 0, host: '127.0.0.1' });
      close = () => app.close();
    }
  });
  afterAll(() => close());

  const post = (path: string, body: string, contentType = 'application/json') =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });

  async function expectProblem(response: Response, status: number, code: string) {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await response.json()) as Record<string, unknown>;
    expect(problem).toMatchObject({ status, code, type: `urn:mesh:problem:${code}` });
    expect(JSON.stringify(problem)).not.toMatch(/at .*\.(ts|js):\d+/);
    return problem;
  }

  it('when the body is valid, then the handler runs', async () => {
    const response = await post(`/things/${ID}`, JSON.stringify({ name: 'mug', quantity: 2 }));
    expect(response.status).toBe(201);
    await expect(response.json()).resolves.toEqual({ id: ID, name: 'mug', quantity: 2 });
  });

  it.each([
    ['a wrong type', { name: 'mug', quantity: '2' }, '/quantity'],
    ['an unknown field', { name: 'mug', quantity: 2, price: 1 }, '/price'],
    ['a missing field', { name: 'mug' }, '/quantity'],
    ['a zero quantity', { name: 'mug', quantity: 0 }, '/quantity'],
  ])(
    'when the body has %s, then 400 invalid-request points at it',
    async (_case, body, pointer) => {
      const problem = await expectProblem(
        await post(`/things/${ID}`, JSON.stringify(body)),
        400,
        'invalid-request',
      );
      expect(problem.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ pointer })]),
      );
    },
  );

  it('when a path parameter is malformed, then 400 invalid-request', async () => {
    await expectProblem(
      await post('/things/not-a-uuid', JSON.stringify({ name: 'a', quantity: 1 })),
      400,
      'invalid-request',
    );
  });

  it.each([
    ['a urn:uuid: prefix', `urn:uuid:${ID}`],
    ['braces', `{${ID}}`],
    ['no dashes', ID.replace(/-/g, '')],
  ])(
    'when an id has %s, then 400 invalid-request, whether by format or by contract',
    async (_case, id) => {
      // PostgreSQL's uuid type would refuse these: they must never get past validation.
      const byFormat = await post(
        `/things/${encodeURIComponent(id)}`,
        JSON.stringify({ name: 'a', quantity: 1 }),
      );
      await expectProblem(byFormat, 400, 'invalid-request');
      const byContract = await fetch(`${base}/orders/${encodeURIComponent(id)}`);
      await expectProblem(byContract, 400, 'invalid-request');
    },
  );

  it('when an id is a plain UUID in either case, then it passes', async () => {
    expect((await fetch(`${base}/orders/${ID}`)).status).toBe(200);
    expect((await fetch(`${base}/orders/${ID.toUpperCase()}`)).status).toBe(200);
  });

  it('when the JSON is malformed, then 400 malformed-json', async () => {
    await expectProblem(await post(`/things/${ID}`, '{"name": "mug",'), 400, 'malformed-json');
  });

  it('when the body is too large, then 413 body-too-large', async () => {
    const body = JSON.stringify({ name: 'x'.repeat(4096), quantity: 1 });
    await expectProblem(await post(`/things/${ID}`, body), 413, 'body-too-large');
  });

  it('when the body is not JSON, then 415 unsupported-media-type', async () => {
    await expectProblem(
      await post(`/things/${ID}`, 'name=mug', 'text/plain'),
      415,
      'unsupported-media-type',
    );
  });

  it('when a handler throws an unexpected error, then 500 internal-error without its message', async () => {
    const problem = await expectProblem(await fetch(`${base}/boom`), 500, 'internal-error');
    expect(JSON.stringify(problem)).not.toContain('secret internal detail');
  });

  it('when a handler throws an AppError, then its code, status and detail are served', async () => {
    const problem = await expectProblem(await fetch(`${base}/gone`), 404, 'order-not-found');
    expect(problem.detail).toBe('No order 42.');
  });

  it('when the route does not exist, then 404 route-not-found', async () => {
    await expectProblem(await fetch(`${base}/nowhere`), 404, 'route-not-found');
  });

  it('when a dependency check fails, then /readyz is 503 not-ready and names it, while /healthz is 200', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const problem = await expectProblem(await fetch(`${base}/readyz`), 503, 'not-ready');
    expect(problem.detail).toContain('broken failing');
    expect(problem.detail).not.toContain('fine');
    expect(problem.detail).not.toContain('helper');
  });
});

describe.each(['express', 'fastify'] as const)('optional readiness checks in %s', (framework) => {
  const checks = {
    fine: async () => undefined,
    helper: optionalCheck(async () => Promise.reject(new Error('down'))),
  };

  it('when only an optional check fails, then /readyz is 200 and reports it failing', async () => {
    let answer: { status: number; body: unknown };
    if (framework === 'express') {
      const app = express();
      healthRoutes(app, checks);
      const server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      const response = await fetch(
        `http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`,
      );
      answer = { status: response.status, body: await response.json() };
      await new Promise((resolve) => server.close(resolve));
    } else {
      const app = Fastify();
      registerHealthRoutes(app, checks);
      const response = await app.inject('/readyz');
      answer = { status: response.statusCode, body: response.json() };
      await app.close();
    }

    expect(answer).toEqual({
      status: 200,
      body: { status: 'ready', checks: { fine: 'ok', helper: 'failing' } },
    });
  });
});

describe('fastify query strings', () => {
  it('when a query parameter is numeric text, then it is coerced and defaults apply', async () => {
    const app = buildFastify();
    const coerced = await app.inject({ method: 'GET', url: '/list?limit=3' });
    expect(coerced.json()).toEqual({ limit: 3 });
    const defaulted = await app.inject({ method: 'GET', url: '/list' });
    expect(defaulted.json()).toEqual({ limit: 5 });
    const invalid = await app.inject({ method: 'GET', url: '/list?limit=99' });
    expect(invalid.statusCode).toBe(400);
    await app.close();
  });
});
