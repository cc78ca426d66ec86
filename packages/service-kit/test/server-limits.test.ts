import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { createLogger } from '@mesh/telemetry';
import type { FastifyInstance } from 'fastify';
import { createFastifyApp } from '../src/fastify';
import type { ServerLimits } from '../src/health';

const LIMITS: ServerLimits = {
  connectionTimeoutMs: 10_000,
  headersTimeoutMs: 500,
  requestTimeoutMs: 5_000,
  keepAliveTimeoutMs: 2_000,
  maxRequestsPerSocket: 2,
  maxConnections: 5,
};

/** Resolves with how long the server took to close the socket. */
function closedAfter(socket: Socket): Promise<number> {
  const opened = Date.now();
  return new Promise((resolve) => socket.once('close', () => resolve(Date.now() - opened)));
}

describe('fastify server limits', () => {
  let app: FastifyInstance;
  let port: number;
  const sockets: Socket[] = [];

  async function open(): Promise<Socket> {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    sockets.push(socket);
    await once(socket, 'connect');
    return socket;
  }

  beforeAll(async () => {
    app = createFastifyApp({
      logger: createLogger({ level: 'silent' }),
      readiness: {},
      serverLimits: LIMITS,
      routes: (routes) => routes.get('/hello', async () => ({ hello: 'world' })),
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.destroy();
  });
  afterAll(() => app.close());

  it('when a client trickles its headers, then the connection is closed soon after headersTimeoutMs', async () => {
    const socket = await open();
    const closed = closedAfter(socket);
    const request = 'GET /hello HTTP/1.1\r\nHost: localhost\r\nX-Slow: ';
    let sent = 0;
    const trickle = setInterval(() => {
      if (!socket.destroyed) socket.write(request[sent % request.length] ?? 'x');
      sent += 1;
    }, 50);

    const elapsed = await closed;
    clearInterval(trickle);

    // Node's default would hold it for 60 s; the sweep runs every second at most.
    expect(elapsed).toBeGreaterThanOrEqual(LIMITS.headersTimeoutMs - 50);
    expect(elapsed).toBeLessThan(LIMITS.headersTimeoutMs + 2_000);
  });

  it('when maxConnections are open, then the next connection is closed at once, and others pass once they go', async () => {
    const held = await Promise.all(Array.from({ length: LIMITS.maxConnections }, open));

    const extra = await open();
    expect(await closedAfter(extra)).toBeLessThan(1_000);

    for (const socket of held) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await fetch(`http://127.0.0.1:${port}/hello`)).status).toBe(200);
  });

  it('when a connection has carried maxRequestsPerSocket requests, then the last is answered with Connection: close', async () => {
    const socket = await open();
    let received = '';
    const bothAnswered = new Promise<void>((resolve) => {
      socket.on('data', (chunk) => {
        received += chunk.toString();
        if (received.split('{"hello":"world"}').length === 3) resolve();
      });
    });
    const request = 'GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n';
    socket.write(request + request);

    await bothAnswered;
    const answers = received.split('HTTP/1.1 200').slice(1);
    expect(answers).toHaveLength(2);
    expect(answers[0]).toMatch(/connection: keep-alive/i);
    expect(answers[1]).toMatch(/connection: close/i);
  });
});
