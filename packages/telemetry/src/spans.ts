import {
  type Attributes,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
} from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';

/**
 * Marks a span as failed the way the OpenTelemetry demo does: the exception as an event,
 * ERROR status with the message, and `error.type` for grouping.
 * https://opentelemetry.io/docs/specs/semconv/general/recording-errors/
 */
export function recordError(span: Span, error: unknown): void {
  const err = error instanceof Error ? error : new Error(String(error));
  span.recordException(err);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
  const code = (err as { code?: unknown }).code;
  span.setAttribute(ATTR_ERROR_TYPE, typeof code === 'string' ? code : err.name);
}

export interface SpanOptions {
  attributes?: Attributes;
  kind?: SpanKind;
}

/**
 * Runs a business step in its own active span: ends it, and records a thrown error on it
 * before rethrowing. Business code stays free of try/finally boilerplate.
 */
export async function inSpan<T>(
  tracer: Tracer,
  name: string,
  options: SpanOptions,
  step: (span: Span) => Promise<T> | T,
): Promise<T> {
  return tracer.startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes ?? {} },
    async (span) => {
      try {
        return await step(span);
      } catch (error) {
        recordError(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}
