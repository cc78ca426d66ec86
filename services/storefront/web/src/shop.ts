import { ApiError, ShopApi } from './api';
import { Cart } from './cart';
import type { StorefrontConfig } from './config';

const TRACE_KEY = (orderId: string) => `mesh-order-trace:${orderId}`;

/** What every page needs: the API, the cart and the config. */
export class Shop {
  readonly api: ShopApi;
  readonly cart = new Cart();

  constructor(readonly config: StorefrontConfig) {
    this.api = new ShopApi(config);
  }

  /** What to tell the person about a failure. */
  messageOf(error: unknown): string {
    if (error instanceof ApiError) return error.message;
    return 'Something went wrong in the shop. Please reload the page.';
  }

  /** The trace that placed an order, for its order page (this tab only). */
  rememberTrace(orderId: string, traceId: string | undefined): void {
    if (traceId) sessionStorage.setItem(TRACE_KEY(orderId), traceId);
  }

  traceOf(orderId: string): string | undefined {
    return sessionStorage.getItem(TRACE_KEY(orderId)) ?? undefined;
  }
}
