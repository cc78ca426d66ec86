import { trace } from '@opentelemetry/api';

/**
 * Response headers that name the trace a request belongs to, so a person (or k6) can jump from
 * a response straight to its trace:
 * - `traceresponse`: W3C Trace Context Level 2 (https://www.w3.org/TR/trace-context-2/#traceresponse-header)
 * - `x-trace-id`: the bare trace id, easy to copy into Grafana.
 * Empty when no span is active (telemetry off).
 */
export function traceResponseHeaders(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId, traceFlags } = span.spanContext();
  if (!/^[0-9a-f]{32}$/.test(traceId) || /^0+$/.test(traceId)) return {};
  const flags = (traceFlags & 0xff).toString(16).padStart(2, '0');
  return { traceresponse: `00-${traceId}-${spanId}-${flags}`, 'x-trace-id': traceId };
}

export function activeTraceId(): string | undefined {
  return traceResponseHeaders()['x-trace-id'];
}
