import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROBLEM_CONTENT_TYPE, Problem, problemType } from '@mesh/contracts';
import { FormatRegistry, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

// The services validate with Ajv and its formats; TypeBox's checker needs them registered.
if (!FormatRegistry.Has('uuid')) {
  FormatRegistry.Set('uuid', (value) =>
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value),
  );
}
if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (value) => !Number.isNaN(Date.parse(value)));
}

export interface RecordedCall {
  method: string;
  /** Path and query string, e.g. "/products?limit=50&offset=0". */
  url: string;
  /** The path alone, e.g. "/products". */
  path: string;
  headers: IncomingMessage['headers'];
  /** The parsed JSON body, or undefined without one. */
  body: unknown;
}

export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** An answer, or no answer: `'hang'` never answers (time limits), `'drop'` cuts the connection. */
export type Reply = Answer | 'hang' | 'drop';

export interface FakeRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** With named parameters, e.g. "/orders/:id". */
  path: string;
  /**
   * The contract of the answers: the `@mesh/contracts` schema of the body per status. A problem
   * (see problem()) may answer with any 4xx or 5xx and is checked against `Problem`.
   */
  responses: Partial<Record<number, TSchema>>;
  /** Works out the answer; may take its time (a slow service). */
  handle: (call: RecordedCall, params: Record<string, string>) => Reply | Promise<Reply>;
}

/** A problem+json answer as every Mesh service gives it (RFC 9457 with a stable `code`). */
export function problem(status: number, code: string, detail?: string): Answer {
  return {
    status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE },
    body: { type: problemType(code), title: code, status, code, ...(detail ? { detail } : {}) },
  };
}

interface Fault {
  times: number;
  reply: Reply;
  delayMs: number;
}

interface CompiledRoute extends FakeRoute {
  pattern: RegExp;
  names: string[];
}

/**
 * A stand-in for another Mesh service, for a test: it listens on 127.0.0.1 (a random port),
 * records every call, and answers through its routes, each answer checked against the contract
 * the route names. A fake whose answer breaks the contract is a broken test, not a finding about
 * the code under test: the answer becomes a 500, the violation is printed at once, and stop()
 * rejects with every violation, so the suite fails loudly.
 *
 * Misbehaviour on purpose (failNext, hang) is not checked: a 500 with a stack trace is exactly
 * what such a test wants.
 */
export class FakeService {
  readonly calls: RecordedCall[] = [];
  /** Answers of the routes that broke the contract. */
  readonly violations: string[] = [];
  private readonly server: Server;
  private readonly routes: CompiledRoute[] = [];
  private readonly faults: Fault[] = [];
  private port = 0;

  constructor(readonly name: string) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Calls other than the health probe: what the code under test sent. */
  get forwarded(): RecordedCall[] {
    return this.calls.filter((call) => call.path !== '/healthz');
  }

  /** The calls to one route, e.g. `callsTo('POST', '/payments')`. */
  callsTo(method: string, path: string): RecordedCall[] {
    const route = this.routes.find((r) => r.method === method && r.path === path);
    return this.calls.filter(
      (call) => call.method === method && route !== undefined && route.pattern.test(call.path),
    );
  }

  route(route: FakeRoute): this {
    const names: string[] = [];
    const source = route.path.replace(/:(\w+)/g, (_match, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    this.routes.push({ ...route, pattern: new RegExp(`^${source}$`), names });
    return this;
  }

  /** The next `times` calls (health probes aside) get `reply` after `delayMs`, unchecked. */
  failNext(times: number, reply: Reply, delayMs = 0): this {
    this.faults.push({ times, reply, delayMs });
    return this;
  }

  /** The next `times` calls (health probes aside) are never answered. */
  hang(times = Number.POSITIVE_INFINITY): this {
    return this.failNext(times, 'hang');
  }

  /** Forgets the calls and the faults; the routes and their state stay. */
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

  /** Closes the server, hanging calls included; rejects if an answer broke the contract. */
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.violations.length > 0) {
      throw new Error(`fake ${this.name} broke the contract:\n  ${this.violations.join('\n  ')}`);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = req.url ?? '/';
    const call: RecordedCall = {
      method: req.method ?? 'GET',
      url,
      path: url.split('?')[0] ?? '/',
      headers: req.headers,
      body: text === '' ? undefined : JSON.parse(text),
    };
    this.calls.push(call);

    if (call.method === 'GET' && call.path === '/healthz') {
      return send(req, res, { status: 200, body: { status: 'ok' } });
    }
    const fault = this.faults[0];
    if (fault) {
      fault.times -= 1;
      if (fault.times <= 0) this.faults.shift();
      if (fault.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      return send(req, res, fault.reply);
    }

    for (const route of this.routes) {
      const match = call.method === route.method ? route.pattern.exec(call.path) : null;
      if (!match) continue;
      const params = Object.fromEntries(route.names.map((name, i) => [name, match[i + 1] ?? '']));
      const reply = await route.handle(call, params);
      const violation = typeof reply === 'object' ? this.check(route, reply) : undefined;
      if (!violation) return send(req, res, reply);
      this.violations.push(violation);
      console.error(`fake ${this.name} broke the contract: ${violation}`);
      return send(req, res, problem(500, 'fake-broke-contract', violation));
    }
    send(req, res, problem(404, 'route-not-found', `No route for ${call.method} ${call.path}`));
  }

  private check(route: FakeRoute, answer: Answer): string | undefined {
    const where = `${route.method} ${route.path} answered ${answer.status}`;
    const isProblem = answer.headers?.['content-type'] === PROBLEM_CONTENT_TYPE;
    const schema = isProblem && answer.status >= 400 ? Problem : route.responses[answer.status];
    if (!schema) return `${where}, a status its contract does not list`;
    if (Value.Check(schema, answer.body)) return undefined;
    const first = Value.Errors(schema, answer.body).First();
    return `${where} with a body that does not match: ${first?.path || '/'} ${first?.message ?? ''}`;
  }
}

function send(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
  if (reply === 'hang') return;
  if (reply === 'drop') {
    req.socket.destroy();
    return;
  }
  const headers: Record<string, string> = { ...reply.headers };
  const body = reply.body === undefined ? '' : JSON.stringify(reply.body);
  if (body !== '') headers['content-type'] ??= 'application/json';
  res.writeHead(reply.status, headers).end(body);
}

/** Starts a fake service with these routes; see FakeService. */
export function startFakeService(name: string, routes: FakeRoute[]): Promise<FakeService> {
  const fake = new FakeService(name);
  for (const route of routes) fake.route(route);
  return fake.start();
}

/** A URL of a port nothing listens on: connections to it are refused at once. */
export async function closedPort(): Promise<string> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
