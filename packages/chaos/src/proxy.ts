import { createServer, request as forward, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP hop between two services that can be made slow: every request waits `delayMs` before
 * it is forwarded. It is how the suite makes inventory or payment answer just under or just over
 * the caller's time limit without touching either service.
 */
export interface SlowHop {
  readonly url: string;
  /** The service behind the hop; until it is set the hop answers 503. */
  target: string | undefined;
  delayMs: number;
  close(): Promise<void>;
}

export async function startSlowHop(): Promise<SlowHop> {
  const hop = { target: undefined as string | undefined, delayMs: 0 };
  const server: Server = createServer((incoming, outgoing) => {
    const target = hop.target;
    if (!target) {
      outgoing.writeHead(503).end();
      return;
    }
    const timer = setTimeout(() => {
      const upstream = forward(
        new URL(incoming.url ?? '/', target),
        { method: incoming.method, headers: incoming.headers },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      upstream.on('error', () => {
        if (!outgoing.headersSent) outgoing.writeHead(502);
        outgoing.end();
      });
      incoming.pipe(upstream);
    }, hop.delayMs);
    // A caller that gave up stops the wait too.
    outgoing.on('close', () => clearTimeout(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(hop, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
