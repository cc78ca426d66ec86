import type { Logger } from '@mesh/telemetry';
import { withinTime } from './lifecycle';

/** A dependency a service needs to do its work: PostgreSQL, Redis, another service. */
export type ReadinessCheck = () => Promise<unknown>;

export interface Readiness {
  ready: boolean;
  checks: Record<string, 'ok' | 'failing' | 'timeout'>;
}

/**
 * Runs every check in parallel, each within `timeoutMs`, for `GET /readyz`. Liveness
 * (`/healthz`) checks nothing outside the process: a database outage must not get every
 * replica restarted.
 */
export async function checkReadiness(
  checks: Record<string, ReadinessCheck>,
  timeoutMs = 1_000,
): Promise<Readiness> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        return [name, (await withinTime(check, timeoutMs)) ? 'ok' : 'timeout'] as const;
      } catch {
        return [name, 'failing'] as const;
      }
    }),
  );
  return {
    ready: results.every(([, state]) => state === 'ok'),
    checks: Object.fromEntries(results),
  };
}

/** A JSON API's largest body by default: Mesh's largest valid request is about 1.5 KiB. */
export const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024;

/**
 * What createExpressApp and createFastifyApp take, the same for both frameworks: the app gets
 * the platform every Mesh service has, then the service's own routes.
 */
export interface AppSettings<App> {
  logger: Logger;
  /** What GET /readyz checks: PostgreSQL, Redis, another service. */
  readiness: Record<string, ReadinessCheck>;
  /** Largest JSON body accepted. Default 16 KiB. */
  bodyLimitBytes?: number;
  /** Adds the service's own routes. */
  routes: (app: App) => void;
}
