import { metrics } from '@opentelemetry/api';

const meter = metrics.getMeter('@mesh/gateway');

/** Requests refused by the rate limiter; `mesh.client.kind` is api-key or ip. */
export const rateLimitedRequests = meter.createCounter('mesh.gateway.rate_limited', {
  description: 'Requests refused with 429 because the client exceeded its rate limit',
  unit: '{request}',
});

/** Retries of idempotent upstream calls: a rising count is an upstream going bad. */
export const upstreamRetries = meter.createCounter('mesh.gateway.upstream.retries', {
  description: 'Calls to order or inventory retried after a transient failure',
  unit: '{retry}',
});
