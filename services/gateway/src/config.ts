import {
  ConfigError,
  faultsSpec,
  httpServerSpec,
  int,
  loadConfig,
  logSpec,
  redisSpec,
  str,
  url,
} from '@mesh/service-kit';

/**
 * The public workshop key. It is published in the README (services/gateway), so it protects
 * nothing: anywhere but a laptop, set API_KEYS to keys of your own.
 */
export const WORKSHOP_API_KEY = 'mesh-demo-key';

const spec = {
  ...httpServerSpec(8080, 'Port of the public API'),
  ...logSpec,
  ...redisSpec({ keyPrefix: 'gateway:', purpose: 'that holds the rate limit counters' }),
  ...faultsSpec,
  API_KEYS: str({
    default: WORKSHOP_API_KEY,
    desc: `Comma-separated API keys accepted in the x-api-key header (default: the public workshop key "${WORKSHOP_API_KEY}")`,
  }),
  ORDER_URL: url({ default: 'http://127.0.0.1:8081', desc: 'Base URL of the order service' }),
  INVENTORY_URL: url({
    default: 'http://127.0.0.1:8083',
    desc: 'Base URL of the inventory service',
  }),
  NOTIFICATION_URL: url({
    default: 'http://127.0.0.1:8084',
    desc: 'Base URL of the notification service',
  }),
  ORDER_TIMEOUT_MS: int({
    min: 1,
    // Also the deadline of a placement: it travels to the order service (x-mesh-deadline-ms),
    // which cuts its calls to inventory and payment to fit and answers within it (202 when the
    // outcome is not decided by then), so the gateway does not give up on a slow success.
    default: 8_000,
    desc: "Time limit for a call to the order service, in ms; sent with POST /api/orders as the order service's deadline",
  }),
  INVENTORY_TIMEOUT_MS: int({
    min: 1,
    default: 2_000,
    desc: 'Time limit for a call to the inventory service, retries included, in ms',
  }),
  NOTIFICATION_TIMEOUT_MS: int({
    min: 1,
    default: 2_000,
    desc: 'Time limit for a call to the notification service, retries included, in ms',
  }),
  RATE_LIMIT_MAX: int({
    min: 1,
    default: 600,
    desc: 'Requests allowed per client (API key, or IP without one) per window',
  }),
  RATE_LIMIT_WINDOW_MS: int({ min: 1, default: 60_000, desc: 'Rate limit window, in ms' }),
  BODY_LIMIT_BYTES: int({
    min: 1,
    default: 16_384,
    desc: 'Largest request body accepted, in bytes',
  }),
  // The limits below keep slow, idle or too many clients from tying up the gateway; the
  // README (services/gateway) says what each guards against.
  MAX_IN_FLIGHT: int({
    min: 1,
    default: 512,
    desc: 'Requests to /api handled at once by one gateway process; beyond, 503 overloaded',
  }),
  MAX_CONNECTIONS: int({
    min: 1,
    default: 1_024,
    desc: 'Open client connections at most; a connection beyond is closed at once',
  }),
  HEADERS_TIMEOUT_MS: int({
    min: 1,
    default: 5_000,
    desc: "Time for a request's headers to arrive, in ms; a client sending them slower is cut off",
  }),
  REQUEST_TIMEOUT_MS: int({
    min: 1,
    default: 10_000,
    desc: 'Time for a whole request, body included, to arrive, in ms',
  }),
  CONNECTION_TIMEOUT_MS: int({
    min: 1,
    default: 30_000,
    desc: 'A connection without traffic for this long is closed, in ms; above every upstream time limit',
  }),
  KEEP_ALIVE_TIMEOUT_MS: int({
    min: 1,
    default: 5_000,
    desc: 'An idle keep-alive connection is closed after this, in ms; behind a load balancer, above its idle timeout',
  }),
  MAX_REQUESTS_PER_SOCKET: int({
    min: 1,
    default: 1_000,
    desc: 'Requests one keep-alive connection may carry before the gateway closes it',
  }),
  CORS_ALLOWED_ORIGIN: str({
    default: '',
    desc: 'The one browser origin allowed to call the API cross-origin, e.g. the storefront http://127.0.0.1:8090 (scheme, host and port, no path). Default: none, no CORS at all',
  }),
  // Trace context from outside is untrusted input (see trace-edge.ts).
  TRACE_TRUSTED_API_KEYS: str({
    default: '',
    desc: 'Comma-separated API keys whose callers continue their own trace (traceparent with its sampled flag, and allow-listed baggage); each must be in API_KEYS. Default: every key of API_KEYS; "none": no caller. Production: only your own front ends',
  }),
  TRACE_BAGGAGE_KEYS: str({
    default: '',
    desc: 'Comma-separated baggage keys accepted from trusted callers; any other entry is dropped (default: none)',
  }),
  TRACE_BAGGAGE_MAX_ENTRIES: int({
    min: 0,
    default: 8,
    desc: 'Most baggage entries kept from a trusted caller',
  }),
  TRACE_BAGGAGE_MAX_BYTES: int({
    min: 0,
    default: 1_024,
    desc: 'Most bytes of baggage kept from a trusted caller (as sent on: key=value, comma-separated)',
  }),
};

/** A comma-separated setting as a list, trimmed, empty entries dropped. */
function list(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** TRACE_TRUSTED_API_KEYS: unset trusts every accepted key, so k6 and the storefront keep their traces. */
function trustedApiKeys(setting: string, apiKeys: string[]): string[] {
  if (setting.trim() === '') return apiKeys;
  if (setting.trim() === 'none') return [];
  const trusted = list(setting);
  if (trusted.some((key) => !apiKeys.includes(key))) {
    // The key itself stays out of the message: it is a secret.
    throw new ConfigError(['TRACE_TRUSTED_API_KEYS: every key must also be in API_KEYS']);
  }
  return trusted;
}

/** CORS_ALLOWED_ORIGIN as a browser sends it in `Origin`: an exact match, so it is normalised. */
function corsOrigin(setting: string): string {
  if (setting.trim() === '') return '';
  let parsed: URL | undefined;
  try {
    parsed = new URL(setting.trim());
  } catch {
    parsed = undefined;
  }
  if (
    !parsed ||
    !['http:', 'https:'].includes(parsed.protocol) ||
    parsed.pathname !== '/' ||
    parsed.search !== '' ||
    parsed.hash !== ''
  ) {
    throw new ConfigError([
      'CORS_ALLOWED_ORIGIN: must be one origin, scheme://host[:port], without a path',
    ]);
  }
  return parsed.origin;
}

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

/** Reads the configuration once at start; a missing or bad variable throws a ConfigError naming it. */
export function loadGatewayConfig(env: Record<string, string | undefined> = process.env) {
  const config = loadConfig(spec, env);
  const apiKeys = list(config.API_KEYS);
  if (apiKeys.length === 0) throw new ConfigError(['API_KEYS: must name at least one key']);
  const slowestUpstreamMs = Math.max(
    config.ORDER_TIMEOUT_MS,
    config.INVENTORY_TIMEOUT_MS,
    config.NOTIFICATION_TIMEOUT_MS,
  );
  // The socket is quiet while the gateway waits for an upstream: a shorter timeout would cut
  // off requests that are still within their time limit.
  if (config.CONNECTION_TIMEOUT_MS <= slowestUpstreamMs) {
    throw new ConfigError([
      `CONNECTION_TIMEOUT_MS: must be above the slowest upstream time limit (${slowestUpstreamMs} ms)`,
    ]);
  }
  return {
    ...config,
    apiKeys,
    corsAllowedOrigin: corsOrigin(config.CORS_ALLOWED_ORIGIN),
    traceTrustedApiKeys: trustedApiKeys(config.TRACE_TRUSTED_API_KEYS, apiKeys),
    traceBaggageKeys: list(config.TRACE_BAGGAGE_KEYS),
  };
}
