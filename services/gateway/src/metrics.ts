import type { Meter } from '@opentelemetry/api';

export interface GatewayMetrics {
  /** A request refused by the rate limiter; `clientKind` is api-key or ip. */
  countRateLimited(clientKind: 'api-key' | 'ip'): void;
  /** A request let through without a rate limit check, because Redis could not count. */
  countRateLimitUnchecked(): void;
  /** A request refused with 503 overloaded because too many were in progress. */
  countShed(): void;
  /** A retried idempotent upstream call: a rising count is an upstream going bad. */
  countUpstreamRetry(upstream: string, errorType: string): void;
}

/** The gateway's business metrics, made from the meter the wiring passes in (see service-kit). */
export function createGatewayMetrics(meter: Meter): GatewayMetrics {
  const rateLimited = meter.createCounter('mesh.gateway.rate_limited', {
    description: 'Requests refused with 429 because the client exceeded its rate limit',
    unit: '{request}',
  });
  const unchecked = meter.createCounter('mesh.gateway.rate_limit.unchecked', {
    description: 'Requests let through without a rate limit check because Redis could not count',
    unit: '{request}',
  });
  const shed = meter.createCounter('mesh.gateway.shed', {
    description: 'Requests refused with 503 because too many were in progress in this process',
    unit: '{request}',
  });
  const upstreamRetries = meter.createCounter('mesh.gateway.upstream.retries', {
    description: 'Calls to order or inventory retried after a transient failure',
    unit: '{retry}',
  });
  return {
    countRateLimited: (clientKind) => rateLimited.add(1, { 'mesh.client.kind': clientKind }),
    countRateLimitUnchecked: () => unchecked.add(1),
    countShed: () => shed.add(1),
    countUpstreamRetry: (upstream, errorType) =>
      upstreamRetries.add(1, { 'mesh.upstream': upstream, 'error.type': errorType }),
  };
}
