import { type Context, context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';

/**
 * A trace context as text, small enough to store in a database row: the transactional outbox
 * keeps one per event so the relay's later publish joins the request's trace. It holds the
 * fields of the configured propagators: W3C by default, B3's too when OTEL_PROPAGATORS names it.
 * https://www.w3.org/TR/trace-context/, https://www.w3.org/TR/baggage/,
 * https://github.com/openzipkin/b3-propagation
 */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
  baggage?: string;
  /** `b3`, or `x-b3-traceid` and its siblings. */
  [field: string]: string | undefined;
}

/** The active (or given) context serialised by the configured propagators. */
export function captureTraceContext(from: Context = context.active()): TraceCarrier {
  const carrier: Record<string, string> = {};
  propagation.inject(from, carrier);
  // Only what the propagators wrote, and none of it empty.
  return Object.fromEntries(Object.entries(carrier).filter(([, value]) => value !== ''));
}

/**
 * The context a stored carrier describes. An empty or malformed carrier yields the root context,
 * so the work it wraps starts a new trace instead of failing.
 */
export function contextFromCarrier(carrier: TraceCarrier | null | undefined): Context {
  if (!carrier) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, { ...carrier });
}

/** Runs `fn` as a continuation of the stored trace context. */
export function withTraceContext<T>(carrier: TraceCarrier | null | undefined, fn: () => T): T {
  return context.with(contextFromCarrier(carrier), fn);
}
