import { type Static, Type } from '@sinclair/typebox';
import {
  Currency,
  CustomerId,
  IsoTime,
  ItemRequest,
  MAX_ORDER_ITEMS,
  OrderId,
  PricedItem,
} from './common';

// The order API: served by the order service and, unchanged, by the gateway under /api.

export const PlaceOrderRequest = Type.Object(
  {
    customerId: CustomerId,
    items: Type.Array(ItemRequest, { minItems: 1, maxItems: MAX_ORDER_ITEMS }),
  },
  { additionalProperties: false },
);
export type PlaceOrderRequest = Static<typeof PlaceOrderRequest>;

/** Optional header making POST /orders safe to retry: same key and body, same order. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const IdempotencyKey = Type.String({ pattern: '^[\\x21-\\x7E]{1,128}$' });

/**
 * PENDING and STOCK_RESERVED are on the way; CONFIRMED, REJECTED (out of stock or a dependency
 * failed before the charge) and PAYMENT_FAILED (declined or charge failed; stock released) are
 * terminal.
 */
export const OrderStatus = Type.Union([
  Type.Literal('PENDING'),
  Type.Literal('STOCK_RESERVED'),
  Type.Literal('CONFIRMED'),
  Type.Literal('REJECTED'),
  Type.Literal('PAYMENT_FAILED'),
]);
export type OrderStatus = Static<typeof OrderStatus>;

export const TERMINAL_ORDER_STATUSES: readonly OrderStatus[] = [
  'CONFIRMED',
  'REJECTED',
  'PAYMENT_FAILED',
];

export const OrderHistoryEntry = Type.Object({
  status: OrderStatus,
  at: IsoTime,
  reason: Type.Optional(Type.String()),
});
export type OrderHistoryEntry = Static<typeof OrderHistoryEntry>;

export const Order = Type.Object({
  id: OrderId,
  customerId: CustomerId,
  status: OrderStatus,
  /** Why the order ended as it did, for REJECTED and PAYMENT_FAILED. */
  statusReason: Type.Optional(Type.String()),
  items: Type.Array(PricedItem),
  totalCents: Type.Integer({ minimum: 0 }),
  currency: Currency,
  createdAt: IsoTime,
  updatedAt: IsoTime,
  history: Type.Array(OrderHistoryEntry),
});
export type Order = Static<typeof Order>;

export const OrderParams = Type.Object({ id: OrderId }, { additionalProperties: false });
export type OrderParams = Static<typeof OrderParams>;
