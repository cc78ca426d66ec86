// Settings of the load tests, read from the environment: `k6 run -e NAME=value ...`, or a
// variable of k6's own process environment (what docker compose sets). A bad value stops the run
// before the first request, with a message that names the variable.

/** A variable's value, or `fallback` when it is unset or empty. */
export function envString(name, fallback) {
  const value = __ENV[name];
  return value === undefined || value === '' ? fallback : value;
}

/** A number, checked against its bounds. */
export function envNumber(
  name,
  fallback,
  { min = -Infinity, max = Infinity, integer = false } = {},
) {
  const raw = envString(name, undefined);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    const kind = integer ? 'an integer' : 'a number';
    const range = max === Infinity ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new Error(`${name}=${raw}: expected ${kind} ${range}`);
  }
  return value;
}

/** true or false. */
export function envBoolean(name, fallback) {
  const raw = envString(name, undefined);
  if (raw === undefined) return fallback;
  if (raw !== 'true' && raw !== 'false') throw new Error(`${name}=${raw}: expected true or false`);
  return raw === 'true';
}

/** A share, 0 to 1 (0.1 = one in ten). */
export function envRatio(name, fallback) {
  return envNumber(name, fallback, { min: 0, max: 1 });
}

// k6's duration syntax, as in its options: "500ms", "30s", "5m", "1h30m".
const DURATION = /^(\d+(\.\d+)?(ms|s|m|h))+$/;

/** A k6 duration string such as "30s" or "1h30m". */
export function envDuration(name, fallback) {
  const value = envString(name, fallback);
  if (!DURATION.test(value)) {
    throw new Error(`${name}=${value}: expected a duration such as 500ms, 30s, 5m or 1h30m`);
  }
  return value;
}

/** The gateway: Mesh's public API. In compose: http://gateway:8080. */
export const BASE_URL = envString('BASE_URL', 'http://localhost:8080').replace(/\/+$/, '');

/** The gateway's x-api-key; the default is the public workshop key (services/gateway/README.md). */
export const API_KEY = envString('API_KEY', 'mesh-demo-key');

/** A request slower than this is logged with its trace id (0: never). */
export const SLOW_REQUEST_MS = envNumber('SLOW_REQUEST_MS', 1000, { min: 0 });

/** At most this many failed-check and slow-request lines per VU, so a broken run stays readable. */
export const LOG_LIMIT = envNumber('LOG_LIMIT', 5, { min: 0, integer: true });

/**
 * The `sampled` flag of every traceparent k6 sends. Mesh's samplers are parent-based, so k6
 * decides: true records every k6 request's trace; false records none (to measure what tracing
 * costs, compare two runs).
 */
export const TRACE_SAMPLED = envBoolean('TRACE_SAMPLED', true);
