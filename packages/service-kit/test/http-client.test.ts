import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError, ServiceClient } from '../src';

type Handler = Parameters<typeof createServer>[1];

async function serve(handler: Handler): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function closedPortUrl(): Promise<string> {
  const { url, server } = await serve(() => undefined);
  await new Promise((resolve) => server.close(resolve));
  return url;
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('ServiceClient', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
  async function stub(handler: Handler): Promise<ServiceClient> {
    const { url, server } = await serve(handler);
    servers.push(server);
    return new ServiceClient({ name: 'stock', baseUrl: url, timeoutMs: 300 });
  }

  it('when the service answers 2xx JSON, then status and body come back and the body was sent as JSON', async () => {
    let received = '';
    const client = await stub((req, res) => {
      req.on('data', (chunk) => {
        received += chunk;
      });
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    const response = await client.call<{ ok: boolean }>('POST', '/things', { body: { a: 1 } });
    expect(response).toMatchObject({ status: 201, body: { ok: true } });
    expect(JSON.parse(received)).toEqual({ a: 1 });
  });

  it('when the service answers a 4xx problem, then its code, status and detail are kept', async () => {
    const client = await stub((_req, res) => {
      res
        .writeHead(409, { 'content-type': 'application/problem+json' })
        .end(JSON.stringify({ status: 409, code: 'out-of-stock', detail: 'MUG-1 has 0 left' }));
    });
    const error = await failure(client.call('POST', '/reservations'));
    expect(error).toMatchObject({ code: 'out-of-stock', status: 409, detail: 'MUG-1 has 0 left' });
  });

  it.each([
    [500, 'dependency-failed', 502],
    [503, 'dependency-unavailable', 503],
    [504, 'dependency-timeout', 504],
  ])('when the service answers %i, then the error is %s (%i)', async (status, code, mapped) => {
    const client = await stub((_req, res) => {
      res
        .writeHead(status, { 'content-type': 'application/problem+json' })
        .end(JSON.stringify({ code: 'internal-error', detail: 'secret stack' }));
    });
    const error = await failure(client.call('GET', '/x'));
    expect(error).toMatchObject({ code, status: mapped });
    expect(error.detail).not.toContain('secret stack');
  });

  it.each([
    ['7', { 'retry-after': '7' }],
    ['Wed, 21 Oct 2015 07:28:00 GMT', {}],
  ])(
    'when the service answers 503 with Retry-After %j, then the error passes on only delta-seconds',
    async (retryAfter, headers) => {
      const client = await stub((_req, res) => {
        res
          .writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': retryAfter })
          .end(JSON.stringify({ code: 'not-ready' }));
      });
      const error = await failure(client.call('GET', '/x'));
      expect(error).toMatchObject({ code: 'dependency-unavailable', status: 503 });
      expect(error.headers).toEqual(headers);
    },
  );

  it('when nothing listens, then dependency-unavailable', async () => {
    const client = new ServiceClient({
      name: 'stock',
      baseUrl: await closedPortUrl(),
      timeoutMs: 300,
    });
    await expect(failure(client.call('GET', '/x'))).resolves.toMatchObject({
      code: 'dependency-unavailable',
      status: 503,
    });
  });

  it('when the service never answers, then dependency-timeout after the limit, not later', async () => {
    const client = await stub(() => undefined);
    const started = Date.now();
    const error = await failure(client.call('GET', '/slow', { timeoutMs: 200 }));
    expect(error).toMatchObject({ code: 'dependency-timeout', status: 504 });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
