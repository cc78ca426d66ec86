import { PROBLEM_CODES, type Problem, type ProblemCode, problemType } from '@mesh/contracts';
import { isTransientError } from './transient';

export interface ProblemDetailPointer {
  pointer: string;
  message: string;
}

export interface AppErrorOptions {
  detail?: string;
  cause?: unknown;
  errors?: ProblemDetailPointer[];
  /** Overrides the status that belongs to the code; only for problems relayed from upstream. */
  status?: number;
  /** Extra response headers, e.g. Retry-After. */
  headers?: Record<string, string>;
  /**
   * Extension members of the problem document (RFC 9457 §3.2), e.g. `orderId`. They never
   * replace the standard members.
   */
  members?: Record<string, string>;
}

const TITLES: Partial<Record<ProblemCode, string>> = {
  'invalid-request': 'The request is not valid',
  'malformed-json': 'The body is not valid JSON',
  unauthorized: 'A valid API key is required',
  'route-not-found': 'No such route',
  'internal-error': 'Something went wrong on our side',
  'dependency-unavailable': 'A service this request needs is unavailable',
  'dependency-timeout': 'A service this request needs did not answer in time',
  'dependency-failed': 'A service this request needs failed',
  'rate-limited': 'Too many requests',
  overloaded: 'The server is busy',
  'body-too-large': 'The body is too large',
  'unsupported-media-type': 'The body must be application/json',
};

function titleOf(code: string): string {
  const known = TITLES[code as ProblemCode];
  if (known) return known;
  const words = code.replace(/-/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * The one error type of Mesh services: a stable kebab-case code (from @mesh/contracts), the
 * HTTP status that belongs to it, and a detail for people. Everything else that is thrown is a
 * bug and is answered as `internal-error` without its message.
 */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly detail: string | undefined;
  readonly errors: ProblemDetailPointer[] | undefined;
  readonly headers: Record<string, string>;
  readonly members: Record<string, string>;

  constructor(code: ProblemCode | string, options: AppErrorOptions = {}) {
    super(options.detail ?? titleOf(code), { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = options.status ?? PROBLEM_CODES[code as ProblemCode] ?? 500;
    this.detail = options.detail;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
    this.members = options.members ?? {};
  }

  /** True for 5xx: an error of ours or of a dependency, not of the caller. */
  get isServerError(): boolean {
    return this.status >= 500;
  }
}

/** The problem document for any thrown value; internals of unexpected errors never leak. */
export function toProblem(error: unknown, extras: { instance?: string; traceId?: string } = {}) {
  const app = error instanceof AppError ? error : unexpected(error);
  const problem: Problem = {
    ...app.members,
    type: problemType(app.code),
    title: titleOf(app.code),
    status: app.status,
    code: app.code,
  };
  if (app.detail) problem.detail = app.detail;
  if (app.errors?.length) problem.errors = app.errors;
  if (extras.instance) problem.instance = extras.instance;
  if (extras.traceId) problem.traceId = extras.traceId;
  // RFC 9110 §10.2.3: a 503 says when to come back, so a client retries instead of giving up
  // and a load balancer backs off; one second unless the error knows better.
  const headers =
    app.status === 503 && !hasHeader(app.headers, 'retry-after')
      ? { ...app.headers, 'retry-after': '1' }
      : app.headers;
  return { status: app.status, headers, problem };
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

/**
 * A thrown value that is no AppError: a dependency that is down (the database restarting, a
 * refused connection) is a 503 the client may retry; anything else is a bug, a 500.
 */
function unexpected(error: unknown): AppError {
  if (isTransientError(error)) {
    return new AppError('dependency-unavailable', {
      detail: 'A backing service is unavailable for the moment; retry shortly.',
      cause: error,
    });
  }
  return new AppError('internal-error', { cause: error });
}
