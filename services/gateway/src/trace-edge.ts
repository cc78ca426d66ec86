import type { TraceEdgePolicy } from '@mesh/telemetry';
import type { GatewayConfig } from './config';
import { API_KEY_HEADER, ApiKeys } from './protection/api-keys';

/**
 * Whom the gateway lets continue a trace. A caller presenting one of TRACE_TRUSTED_API_KEYS (by
 * default every accepted key, so k6 and the storefront keep their traces) is continued as it
 * sent it, including its sampled flag: a trusted front end runs its own sampler, and its "not
 * sampled" is a decision Mesh follows. Its baggage is cut to TRACE_BAGGAGE_KEYS within the caps.
 *
 * Anyone else (an unknown key, no key) gets a new trace that Mesh samples by its own sampler,
 * with a link to the caller's context, and none of its baggage: otherwise a client could hide
 * its orders from traces and span metrics (flags 00) or push up to 8 KiB of baggage through
 * every service, outbox row and Kafka header.
 */
export function traceEdgePolicy(config: GatewayConfig): TraceEdgePolicy {
  const trusted = new ApiKeys(config.traceTrustedApiKeys);
  return {
    trusts: (header) => trusted.identify(header(API_KEY_HEADER)) !== undefined,
    baggage: {
      allowedKeys: config.traceBaggageKeys,
      maxEntries: config.TRACE_BAGGAGE_MAX_ENTRIES,
      maxBytes: config.TRACE_BAGGAGE_MAX_BYTES,
    },
  };
}
