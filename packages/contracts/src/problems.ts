import { type Static, Type } from '@sinclair/typebox';
import { OrderId } from './common';

/**
 * Every error a Mesh service returns is an RFC 9457 problem document
 * (https://www.rfc-editor.org/rfc/rfc9457) served as application/problem+json. `code` is stable
 * and meant for programs; `type` is the same code as a URN; `title` and `detail` are for people.
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The stable codes, with the HTTP status each one is served with. */
export const PROBLEM_CODES = {
  'invalid-request': 400,
  'malformed-json': 400,
  unauthorized: 401,
  'route-not-found': 404,
  'order-not-found': 404,
  'product-not-found': 404,
  'payment-not-found': 404,
  'reservation-not-found': 404,
  'method-not-allowed': 405,
  'idempotency-key-in-use': 409,
  'payment-in-progress': 409,
  'reservation-not-releasable': 409,
  'reservation-not-committable': 409,
  /** The order id's reservation was released (maybe before it arrived): it takes no stock. */
  'reservation-released': 409,
  'out-of-stock': 409,
  /** The same order id was used before with different content (other items, other amount). */
  'order-id-reused': 409,
  'body-too-large': 413,
  'unsupported-media-type': 415,
  'unknown-sku': 422,
  'idempotency-key-reused': 422,
  'rate-limited': 429,
  'internal-error': 500,
  'dependency-failed': 502,
  'dependency-unavailable': 503,
  'not-ready': 503,
  /** The server sheds load: too many requests in flight in this process; retry shortly. */
  overloaded: 503,
  'dependency-timeout': 504,
} as const;
export type ProblemCode = keyof typeof PROBLEM_CODES;

export function problemType(code: string): string {
  return `urn:mesh:problem:${code}`;
}

export const Problem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  code: Type.String(),
  detail: Type.Optional(Type.String()),
  instance: Type.Optional(Type.String()),
  /** The trace of the request that failed: paste it into Grafana's Tempo search. */
  traceId: Type.Optional(Type.String()),
  /**
   * For a failure of POST /api/orders after it was forwarded (a time-out, a broken connection, a
   * 5xx): the order's id, also in `Location`. The order may still complete: GET it to learn its
   * outcome; 404 means it was never placed.
   */
  orderId: Type.Optional(OrderId),
  /** For invalid-request: where the request is wrong, as JSON pointers into it. */
  errors: Type.Optional(
    Type.Array(Type.Object({ pointer: Type.String(), message: Type.String() })),
  ),
});
export type Problem = Static<typeof Problem>;
