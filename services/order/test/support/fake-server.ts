import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROBLEM_CONTENT_TYPE } from '@mesh/contracts';

/** A request a fake service received. */
export interface RecordedCall {
  method: string;
  path: string;
  body: unknown;
}

export type FakeReply =
  | { status: number; body: unknown }
  | { status: number; problem: { code: string; detail?: string } }
  /** Never answer: for time limits. */
  | 'hang'
  /** Cut the connection without an answer, as a crashed process would. */
  | 'drop';

export type FakeHandler = (call: RecordedCall) => FakeReply | Promise<FakeReply>;

export interface FakeServer {
  url: string;
  calls: RecordedCall[];
  close(): Promise<void>;
}

/**
 * A stand-in for another Mesh service on 127.0.0.1:0: records every call and answers JSON, or
 * problem+json as the real services do (RFC 9457 with a stable `code`).
 */
export async function startFakeServer(handle: FakeHandler): Promise<FakeServer> {
  const calls: RecordedCall[] = [];
  const server = createServer((req, res) => {
    void readBody(req).then(async (text) => {
      const call = {
        method: req.method ?? 'GET',
        path: new URL(req.url ?? '/', 'http://fake').pathname,
        body: text === '' ? undefined : JSON.parse(text),
      };
      calls.push(call);
      const answer = await handle(call);
      if (answer === 'drop') req.socket.destroy();
      else reply(res, answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise((resolve) => {
        // Hanging requests hold their sockets open; cut them so close() returns.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers after `ms`, working the answer out only then (e.g. a slow reservation). */
export function after(ms: number, answer: () => FakeReply): FakeReply | Promise<FakeReply> {
  if (ms <= 0) return answer();
  return new Promise((resolve) => setTimeout(() => resolve(answer()), ms));
}

function reply(res: ServerResponse, answer: Exclude<FakeReply, 'drop'>): void {
  if (answer === 'hang') return;
  if ('problem' in answer) {
    const problem = {
      type: `urn:mesh:problem:${answer.problem.code}`,
      title: answer.problem.code,
      status: answer.status,
      ...answer.problem,
    };
    res.writeHead(answer.status, { 'content-type': PROBLEM_CONTENT_TYPE });
    res.end(JSON.stringify(problem));
    return;
  }
  res.writeHead(answer.status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(answer.body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
