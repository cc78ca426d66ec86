import { PROBLEM_CONTENT_TYPE } from '@mesh/contracts';
import { AppError } from './errors';

export interface ServiceClientSettings {
  /** The service called, for error messages: "inventory". */
  name: string;
  baseUrl: string;
  /** Default time limit per call. */
  timeoutMs: number;
}

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export interface ServiceResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * Calls another Mesh service over HTTP with fetch (traced by the undici instrumentation, which
 * also injects the W3C trace context). Every way a call can fail becomes an AppError:
 * - the service answered a problem (4xx): the same code and status, so callers can branch on
 *   `error.code` and the gateway can pass it on unchanged;
 * - unreachable: `dependency-unavailable` (503); no answer in time: `dependency-timeout` (504);
 * - 5xx: `dependency-failed` (502), or the 503/504 codes when the service said so (a 503 keeps
 *   the service's Retry-After).
 */
export class ServiceClient {
  constructor(private readonly settings: ServiceClientSettings) {}

  get name(): string {
    return this.settings.name;
  }

  /** The time limit of a call that sets none. */
  get timeoutMs(): number {
    return this.settings.timeoutMs;
  }

  async call<T>(
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<ServiceResponse<T>> {
    const { name, baseUrl } = this.settings;
    const timeoutMs = options.timeoutMs ?? this.settings.timeoutMs;
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(new URL(path, baseUrl), {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') {
        throw new AppError('dependency-timeout', {
          detail: `${name} did not answer within ${timeoutMs} ms`,
          cause: error,
        });
      }
      throw new AppError('dependency-unavailable', {
        detail: `${name} is unreachable`,
        cause: error,
      });
    }

    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      throw new AppError(timedOut ? 'dependency-timeout' : 'dependency-failed', {
        detail: `${name} ${timedOut ? `did not finish its answer within ${timeoutMs} ms` : 'broke off its answer'}`,
        cause: error,
      });
    }
    const body = parseJson(text);
    if (response.ok) return { status: response.status, body: body as T, headers: response.headers };
    throw upstreamError(name, response, body);
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function upstreamError(name: string, response: Response, body: unknown): AppError {
  const problem =
    typeof body === 'object' && body !== null ? (body as { code?: unknown; detail?: unknown }) : {};
  const code = typeof problem.code === 'string' ? problem.code : undefined;
  const detail = typeof problem.detail === 'string' ? problem.detail : undefined;
  const isProblem = (response.headers.get('content-type') ?? '').startsWith(PROBLEM_CONTENT_TYPE);
  if (response.status < 500 && code && isProblem) {
    return new AppError(code, { status: response.status, ...(detail ? { detail } : {}) });
  }
  const said = `${name} answered ${response.status}${code ? ` (${code})` : ''}`;
  if (response.status === 503) {
    // The service knows best when it is back: its Retry-After is passed on (in seconds only;
    // anything else gets the default of toProblem).
    const retryAfter = response.headers.get('retry-after') ?? '';
    return new AppError('dependency-unavailable', {
      detail: said,
      ...(/^\d{1,6}$/.test(retryAfter) ? { headers: { 'retry-after': retryAfter } } : {}),
    });
  }
  if (response.status === 504) return new AppError('dependency-timeout', { detail: said });
  return new AppError('dependency-failed', { detail: said });
}
