import type { Logger } from '@mesh/telemetry';
import { AppError } from './errors';
import { withinTime } from './lifecycle';

/** A dependency a service needs to do its work: PostgreSQL, Redis, another service. */
export type ReadinessCheck = () => Promise<unknown>;

/**
 * A dependency the service works without, through a fallback (the gateway's rate limit fails
 * open without Redis): /readyz reports its state but stays ready. Taking every replica out of
 * the load balancer because an optional helper is down would turn a degraded service into an
 * outage.
 */
export interface OptionalReadinessCheck {
  optional: true;
  check: ReadinessCheck;
}

export function optionalCheck(check: ReadinessCheck): OptionalReadinessCheck {
  return { optional: true, check };
}

export type ReadinessChecks = Record<string, ReadinessCheck | OptionalReadinessCheck>;

export interface Readiness {
  ready: boolean;
  checks: Record<string, 'ok' | 'failing' | 'timeout'>;
  /** The required checks that are not ok, as "<name> <state>". */
  failing: string[];
}

/**
 * Runs every check in parallel, each within `timeoutMs`, for `GET /readyz`. Liveness
 * (`/healthz`) checks nothing outside the process: a database outage must not get every
 * replica restarted.
 */
export async function checkReadiness(
  checks: ReadinessChecks,
  timeoutMs = 1_000,
): Promise<Readiness> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, entry]) => {
      const { check, optional } =
        typeof entry === 'function' ? { check: entry, optional: false } : entry;
      try {
        const state = (await withinTime(check, timeoutMs)) ? 'ok' : 'timeout';
        return { name, state, optional } as const;
      } catch {
        return { name, state: 'failing', optional } as const;
      }
    }),
  );
  const failing = results
    .filter(({ state, optional }) => state !== 'ok' && !optional)
    .map(({ name, state }) => `${name} ${state}`);
  return {
    ready: failing.length === 0,
    checks: Object.fromEntries(results.map(({ name, state }) => [name, state])),
    failing,
  };
}

/** The 503 answer of /readyz, naming the required checks that are not ok. */
export function notReady(readiness: Readiness): AppError {
  return new AppError('not-ready', { detail: `Not ready: ${readiness.failing.join(', ')}` });
}

/** A JSON API's largest body by default: Mesh's largest valid request is about 1.5 KiB. */
export const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024;

/**
 * How long and how much one client may hold the HTTP server, so that slow or idle connections
 * cannot tie it up. Node's own defaults are lenient (60 s for the headers, 5 min per request, no
 * connection limit) and its timeout sweep runs only every 30 s.
 */
export interface ServerLimits {
  /** A socket with no traffic for this long is closed. Above the slowest handler. */
  connectionTimeoutMs: number;
  /** A request's headers must all arrive within this: a client trickling them is cut off. */
  headersTimeoutMs: number;
  /** A request, body included, must arrive within this. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Requests one keep-alive connection may carry, so clients spread over replicas again. */
  maxRequestsPerSocket: number;
  /** Open connections at most; the next one is closed at once. */
  maxConnections: number;
}

/**
 * What createExpressApp and createFastifyApp take, the same for both frameworks: the app gets
 * the platform every Mesh service has, then the service's own routes.
 */
export interface AppSettings<App> {
  logger: Logger;
  /** What GET /readyz checks: PostgreSQL, Redis, another service (optionalCheck: reported only). */
  readiness: ReadinessChecks;
  /** Largest JSON body accepted. Default 16 KiB. */
  bodyLimitBytes?: number;
  /** Bounds on connections and request times (fastify only); Node's defaults without. */
  serverLimits?: ServerLimits;
  /** Adds the service's own routes. */
  routes: (app: App) => void;
}
