import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROBLEM_CONTENT_TYPE, problemType } from '@mesh/contracts';

export interface RecordedCall {
  method: string;
  /** Path and query string, e.g. "/products?limit=50&offset=0". */
  url: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What a route answers with, given the call (its path parameters already split off). */
type Route = (call: RecordedCall, params: string[]) => Answer;

/** One way to misbehave, used up one call at a time (or forever, for `times: Infinity`). */
interface Fault {
  times: number;
  act: 'hang' | Answer;
  delayMs: number;
}

export function problem(status: number, code: string, detail?: string): Answer {
  return {
    status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE },
    body: { type: problemType(code), title: code, status, code, ...(detail ? { detail } : {}) },
  };
}

/**
 * A stand-in for another Mesh service on 127.0.0.1:<random port>: it records every call and
 * answers per the contracts, unless told to fail, hang or answer late.
 */
export class FakeService {
  readonly calls: RecordedCall[] = [];
  private readonly server: Server;
  private readonly routes: Array<{ method: string; pattern: RegExp; route: Route }> = [];
  private readonly faults: Fault[] = [];
  private port = 0;

  constructor(readonly name: string) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.route('GET', /^\/healthz$/, () => ({ status: 200, body: { status: 'ok' } }));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Calls other than the health probes: what the gateway forwarded. */
  get forwarded(): RecordedCall[] {
    return this.calls.filter((call) => call.url !== '/healthz');
  }

  route(method: string, pattern: RegExp, route: Route): this {
    this.routes.push({ method, pattern, route });
    return this;
  }

  /** The next `times` calls get `answer` (after `delayMs`), then the routes answer again. */
  failNext(times: number, answer: Answer, delayMs = 0): this {
    this.faults.push({ times, act: answer, delayMs });
    return this;
  }

  /** The next `times` calls are never answered. */
  hang(times = Number.POSITIVE_INFINITY): this {
    this.faults.push({ times, act: 'hang', delayMs: 0 });
    return this;
  }

  reset(): void {
    this.calls.length = 0;
    this.faults.length = 0;
  }

  async start(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const call: RecordedCall = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      body: text === '' ? undefined : JSON.parse(text),
    };
    this.calls.push(call);

    const fault = this.faults[0];
    if (fault && call.url !== '/healthz') {
      fault.times -= 1;
      if (fault.times <= 0) this.faults.shift();
      if (fault.act === 'hang') return;
      if (fault.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      return send(res, fault.act);
    }

    const path = call.url.split('?')[0] ?? '/';
    for (const { method, pattern, route } of this.routes) {
      const match = call.method === method ? pattern.exec(path) : null;
      if (match) return send(res, route(call, match.slice(1)));
    }
    send(res, problem(404, 'route-not-found'));
  }
}

function send(res: ServerResponse, answer: Answer): void {
  const headers: Record<string, string> = { ...answer.headers };
  const body = answer.body === undefined ? '' : JSON.stringify(answer.body);
  if (body !== '') headers['content-type'] ??= 'application/json';
  res.writeHead(answer.status, headers).end(body);
}

/** A port nothing listens on: connections to it are refused at once. */
export async function closedPort(): Promise<string> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
