import { type Context, context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';

/**
 * A W3C trace context as text, small enough to store in a database row: the transactional
 * outbox keeps one per event so the relay's later publish joins the request's trace.
 * https://www.w3.org/TR/trace-context/ and https://www.w3.org/TR/baggage/
 */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
  baggage?: string;
}

/** The active (or given) context serialised by the configured propagators. */
export function captureTraceContext(from: Context = context.active()): TraceCarrier {
  const carrier: Record<string, string> = {};
  propagation.inject(from, carrier);
  const captured: TraceCarrier = {};
  if (carrier.traceparent) captured.traceparent = carrier.traceparent;
  if (carrier.tracestate) captured.tracestate = carrier.tracestate;
  if (carrier.baggage) captured.baggage = carrier.baggage;
  return captured;
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
