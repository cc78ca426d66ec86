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
