import { IDEMPOTENCY_KEY_HEADER, type Order, type PlaceOrderRequest } from '@mesh/contracts';
import type { Upstream } from './upstream';

/** Set by the order service when it answers a repeated Idempotency-Key with the stored order. */
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';

export interface PlacedOrder {
  /** 201 for a new order, 200 for a replay of an earlier request with the same key. */
  status: number;
  order: Order;
  replayed: string | undefined;
}

/** The order service's API (packages/contracts/src/orders.ts). */
export class OrderClient {
  constructor(private readonly upstream: Upstream) {}

  /** Never retried: without an Idempotency-Key a second POST would place a second order. */
  async placeOrder(request: PlaceOrderRequest, idempotencyKey?: string): Promise<PlacedOrder> {
    const response = await this.upstream.send<Order>('POST', '/orders', {
      body: request,
      headers: idempotencyKey ? { [IDEMPOTENCY_KEY_HEADER]: idempotencyKey } : {},
    });
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
