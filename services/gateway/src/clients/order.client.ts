import {
  DEADLINE_HEADER,
  IDEMPOTENCY_KEY_HEADER,
  ORDER_ID_HEADER,
  type Order,
  type PlaceOrderRequest,
} from '@mesh/contracts';
import { AppError } from '@mesh/service-kit';
import type { Upstream } from './upstream';

/** Set by the order service when it answers a repeated Idempotency-Key with the stored order. */
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';

export interface PlacedOrder {
  /**
   * 201 for a new order, 200 for a replay of an earlier request with the same key, 202 for an
   * order whose outcome is not decided yet.
   */
  status: number;
  order: Order;
  replayed: string | undefined;
}

export interface OrderPlacement {
  /** The id the order gets: minted by the gateway, so that a failed answer can name it. */
  orderId: string;
  idempotencyKey?: string | undefined;
}

/** The order service's API (packages/contracts/src/orders.ts). */
export class OrderClient {
  constructor(private readonly upstream: Upstream) {}

  /**
   * Never retried: without an Idempotency-Key a second POST would place a second order. The
   * order service gets the gateway's time limit as its deadline (relative, see DEADLINE_HEADER)
   * and answers before it; the margin for the answer's trip back is the order service's.
   */
  async placeOrder(request: PlaceOrderRequest, placement: OrderPlacement): Promise<PlacedOrder> {
    const headers: Record<string, string> = {
      [ORDER_ID_HEADER]: placement.orderId,
      [DEADLINE_HEADER]: String(this.upstream.timeoutMs),
    };
    if (placement.idempotencyKey) headers[IDEMPOTENCY_KEY_HEADER] = placement.idempotencyKey;
    const response = await this.upstream.send<Order>('POST', '/orders', { body: request, headers });
    return {
      status: response.status,
      order: response.body,
      replayed: response.headers.get(IDEMPOTENT_REPLAYED_HEADER) ?? undefined,
    };
  }

  async getOrder(id: string): Promise<Order> {
    return (await this.upstream.get<Order>(`/orders/${encodeURIComponent(id)}`)).body;
  }

  checkHealth(): Promise<void> {
    return this.upstream.checkHealth();
  }
}

/**
 * True when a failed call certainly never reached the order service (the connection was
 * refused), so no order can exist; after anything else, it may.
 */
export function neverReached(error: unknown): boolean {
  if (!(error instanceof AppError) || error.code !== 'dependency-unavailable') return false;
  // Not `instanceof Error`: fetch's errors may come from another realm (e.g. under jest).
  let cause = error.cause as { code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; cause && typeof cause === 'object' && depth < 5; depth++) {
    if (cause.code === 'ECONNREFUSED') return true;
    cause = cause.cause as typeof cause;
  }
  return false;
}
