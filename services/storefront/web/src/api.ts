import type { Notification, Order, Product } from '@mesh/contracts';
import type { StorefrontConfig } from './config';

/** A refusal or failure of the API, from its problem+json answer (RFC 9457). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** The problem's stable code, e.g. `out-of-stock`; `network` when no answer came. */
    readonly code: string,
    message: string,
    readonly traceId: string | undefined,
    /** Named by the gateway when a failure came after the order may have been placed. */
    readonly orderId?: string,
  ) {
    super(message);
  }
}

export interface Answer<T> {
  body: T;
  status: number;
  /** The trace the gateway recorded for this request (x-trace-id). */
  traceId: string | undefined;
}

/** What a person should read for a problem code; anything else falls back to the problem's own text. */
const MESSAGES: Record<string, string> = {
  'rate-limited': 'The shop is busy right now. Please wait a moment and try again.',
  'dependency-unavailable': 'Part of the shop is unavailable right now. Please try again shortly.',
  'dependency-timeout': 'The shop took too long to answer. Please try again.',
  'dependency-failed': 'Something went wrong on our side. Please try again.',
  'internal-error': 'Something went wrong on our side. Please try again.',
  'product-not-found': 'This product does not exist (any more).',
  'order-not-found': 'This order does not exist.',
  'unknown-sku': 'One of the products in your cart no longer exists. Please remove it.',
  'idempotency-key-in-use': 'This order is already being placed. Please wait a moment.',
  unauthorized: 'The shop is not allowed to call the API (API key). Tell the workshop host.',
  network: 'The shop cannot reach the server. Check your connection and try again.',
};

interface Problem {
  title?: string;
  detail?: string;
  code?: string;
  type?: string;
  orderId?: string;
}

/** The problem's code: its `code` member, else the last segment of its `type` URI. */
function codeOf(problem: Problem, status: number): string {
  if (problem.code) return problem.code;
  const fromType = problem.type?.split('/').pop();
  return fromType && fromType !== 'about:blank' ? fromType : `http-${status}`;
}

async function errorFrom(response: Response): Promise<ApiError> {
  const traceId = response.headers.get('x-trace-id') ?? undefined;
  let problem: Problem = {};
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    problem = (await response.json().catch(() => ({}))) as Problem;
  }
  const code = codeOf(problem, response.status);
  const message =
    MESSAGES[code] ?? problem.detail ?? problem.title ?? `The request failed (${response.status}).`;
  return new ApiError(response.status, code, message, traceId, problem.orderId);
}

export class ShopApi {
  constructor(private readonly config: StorefrontConfig) {}

  /**
   * Calls the gateway. Synchronous up to `fetch`: a caller inside a click handler gets the
   * click's span as the parent of the fetch span, so the traceparent continues the click's trace.
   */
  request<T>(
    method: 'GET' | 'POST',
    path: string,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer<T>> {
    const sent = fetch(`${this.config.gatewayUrl}${path}`, {
      method,
      headers: {
        'x-api-key': this.config.apiKey,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    return sent.then(
      async (response) => {
        if (!response.ok) throw await errorFrom(response);
        return {
          body: (await response.json()) as T,
          status: response.status,
          traceId: response.headers.get('x-trace-id') ?? undefined,
        };
      },
      (error: unknown) => {
        if (error instanceof ApiError) throw error;
        throw new ApiError(0, 'network', MESSAGES.network ?? String(error), undefined);
      },
    );
  }

  listProducts(): Promise<Answer<{ items: Product[]; total: number }>> {
    return this.request('GET', '/api/products?limit=100');
  }

  getProduct(sku: string): Promise<Answer<Product>> {
    return this.request('GET', `/api/products/${encodeURIComponent(sku)}`);
  }

  placeOrder(
    customerId: string,
    items: { sku: string; quantity: number }[],
    idempotencyKey: string,
  ): Promise<Answer<Order>> {
    return this.request('POST', '/api/orders', {
      body: { customerId, items },
      headers: { 'idempotency-key': idempotencyKey },
    });
  }

  getOrder(id: string): Promise<Answer<Order>> {
    return this.request('GET', `/api/orders/${encodeURIComponent(id)}`);
  }

  listNotifications(orderId: string): Promise<Answer<{ items: Notification[] }>> {
    return this.request('GET', `/api/notifications?orderId=${encodeURIComponent(orderId)}`);
  }
}
