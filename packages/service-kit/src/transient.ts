import { AppError } from './errors';

// One answer to "did this fail because something we depend on is down or busy for a while?".
// The HTTP error handlers answer such failures with 503 and Retry-After instead of a 500, and the
// Kafka consumers wait them out instead of dead-lettering a message that is fine.

/** Node's socket errors, and PostgreSQL's SQLSTATEs for a server that is going, gone or busy. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN', // DNS answer not available yet (a container starting)
  'UND_ERR_SOCKET', // undici (fetch): the socket closed under the request
  'UND_ERR_CONNECT_TIMEOUT',
  '57P01', // PostgreSQL: admin shutdown
  '57P02', // crash shutdown
  '57P03', // cannot connect now (starting up)
  '57014', // query canceled: the statement timeout of an overloaded server
  '08000', // connection exception
  '08001',
  '08003',
  '08006',
  '53300', // too many connections
  '40001', // serialization failure
  '40P01', // deadlock detected
]);

/** Messages of clients that name no code: pg's pool and client, ioredis. */
const TRANSIENT_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Connection is closed|Client has encountered a connection error|Reached the max retries per request limit|Stream isn't writeable|OOM command not allowed/i;

/** An AppError of a dependency that is down, busy or slow: another try may well succeed. */
const TRANSIENT_APP_CODES = new Set(['dependency-unavailable', 'dependency-timeout', 'not-ready']);

/**
 * True when the error, or any error in its `cause` chain (and any member of an
 * AggregateError), says a dependency is unavailable for now: a refused or reset connection, a
 * database restarting, a statement timeout, a peer service answering 503/504. A bug or a bad
 * input is never transient.
 */
export function isTransientError(error: unknown): boolean {
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length > 0) {
    const current = pending.pop();
    if (current === null || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    if (current instanceof AppError) {
      if (TRANSIENT_APP_CODES.has(current.code)) return true;
    } else {
      const { code, message } = current as { code?: unknown; message?: unknown };
      if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
      if (typeof message === 'string' && TRANSIENT_MESSAGES.test(message)) return true;
    }
    pending.push((current as { cause?: unknown }).cause);
    if (current instanceof AggregateError) pending.push(...current.errors);
  }
  return false;
}
