import { type Baggage, propagation } from '@opentelemetry/api';

/**
 * What a trusted caller's baggage is cut to. Entries are kept in the order they came, as long
 * as they fit; the rest is dropped. Metadata (the `;property` part of an entry) is dropped too.
 */
export interface BaggageLimits {
  /** Keys accepted; an entry under any other key is dropped. Empty: no baggage at all. */
  allowedKeys: readonly string[];
  maxEntries: number;
  /** Of the kept entries as they travel on: `key=value`, percent-encoded, comma-separated. */
  maxBytes: number;
}

/**
 * How a process at the edge treats trace context that comes from outside. Headers from a caller
 * it does not trust start a new trace (Mesh's sampler decides) with a link to the caller's
 * context, and their baggage is dropped; a trusted caller's context is continued, its sampled
 * flag included, and its baggage is cut to `baggage`.
 *
 * It applies to every context the process extracts (HTTP requests, Kafka messages, stored
 * carriers), so only a service whose callers are outside Mesh registers one: the gateway.
 */
export interface TraceEdgePolicy {
  /** Whether the sender of these headers may continue its trace; `header` reads one by name. */
  trusts(header: (name: string) => string | undefined): boolean;
  baggage: BaggageLimits;
}

// On a global symbol, like the running SDK: the preload's propagator and the service's code
// must see the same policy even if two copies of this package are loaded.
const POLICY = Symbol.for('@mesh/telemetry/trace-edge-policy');
type Holder = { [POLICY]?: TraceEdgePolicy };

/**
 * Registers the edge policy of this process, at start, before it serves requests. Without one
 * (every internal service) each caller's trace context is continued as it comes. `undefined`
 * removes it.
 */
export function setTraceEdgePolicy(policy: TraceEdgePolicy | undefined): void {
  const holder = globalThis as Holder;
  if (policy) holder[POLICY] = policy;
  else delete holder[POLICY];
}

export function traceEdgePolicy(): TraceEdgePolicy | undefined {
  return (globalThis as Holder)[POLICY];
}

/** `baggage` cut to `limits`, or undefined when nothing is left. */
export function limitBaggage(baggage: Baggage, limits: BaggageLimits): Baggage | undefined {
  const allowed = new Set(limits.allowedKeys);
  let kept = propagation.createBaggage();
  let entries = 0;
  let bytes = 0;
  for (const [key, { value }] of baggage.getAllEntries()) {
    if (!allowed.has(key) || entries >= limits.maxEntries) continue;
    const separator = entries > 0 ? 1 : 0;
    const size =
      separator + Buffer.byteLength(`${encodeURIComponent(key)}=${encodeURIComponent(value)}`);
    if (bytes + size > limits.maxBytes) continue;
    kept = kept.setEntry(key, { value });
    entries += 1;
    bytes += size;
  }
  return entries > 0 ? kept : undefined;
}
