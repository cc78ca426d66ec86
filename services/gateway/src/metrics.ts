import type { Meter } from '@opentelemetry/api';

export interface GatewayMetrics {
  /** A request refused by the rate limiter; `clientKind` is api-key or ip. */
  countRateLimited(clientKind: 'api-key' | 'ip'): void;
  /** A retried idempotent upstream call: a rising count is an upstream going bad. */
  countUpstreamRetry(upstream: string, errorType: string): void;
}

/** The gateway's business metrics, made from the meter the wiring passes in (see service-kit). */
export function createGatewayMetrics(meter: Meter): GatewayMetrics {
  const rateLimited = meter.createCounter('mesh.gateway.rate_limited', {
    description: 'Requests refused with 429 because the client exceeded its rate limit',
    unit: '{request}',
  });
  const upstreamRetries = meter.createCounter('mesh.gateway.upstream.retries', {
    description: 'Calls to order or inventory retried after a transient failure',
    unit: '{retry}',
  });
  return {
    countRateLimited: (clientKind) => rateLimited.add(1, { 'mesh.client.kind': clientKind }),
    countUpstreamRetry: (upstream, errorType) =>
      upstreamRetries.add(1, { 'mesh.upstream': upstream, 'error.type': errorType }),
  };
}
