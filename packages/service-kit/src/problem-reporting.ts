import { type Logger, recordError } from '@mesh/telemetry';
import { trace } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import { AppError, toProblem } from './errors';
import { activeTraceId } from './trace-headers';

/**
 * Refusals that come in floods when a client misbehaves or the server is saturated: one log
 * line each would add to the load. They are counted in metrics instead and logged at debug.
 */
const REFUSALS_IN_BULK = new Set(['rate-limited', 'overloaded']);

/**
 * Puts an error on the active span and in the log, and returns the problem to answer with.
 * 5xx: exception event, ERROR status, logged at error. 4xx: only `error.type` on the span (the
 * HTTP semantic conventions leave server spans of 4xx unset, since the caller was wrong) and an
 * info line. Refusals in bulk (429 rate-limited, 503 overloaded): `error.type` and a debug line.
 */
export function reportError(error: unknown, logger: Logger, instance: string) {
  const rendered = toProblem(error, { instance, traceId: activeTraceId() });
  const span = trace.getActiveSpan();
  if (REFUSALS_IN_BULK.has(rendered.problem.code)) {
    span?.setAttribute(ATTR_ERROR_TYPE, rendered.problem.code);
    logger.debug(
      { code: rendered.problem.code, status: rendered.status, instance },
      'request refused',
    );
  } else if (rendered.status >= 500) {
    if (span) recordError(span, error);
    logger.error({ err: error, code: rendered.problem.code, instance }, 'request failed');
  } else {
    span?.setAttribute(ATTR_ERROR_TYPE, rendered.problem.code);
    logger.info(
      {
        code: rendered.problem.code,
        status: rendered.status,
        instance,
        detail: rendered.problem.detail,
      },
      'request refused',
    );
  }
  return rendered;
}

export { AppError };
