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
 * Internal header, gateway → order: the id the order must get. The same id twice is the same
 * order (answered again, never placed twice), and a different request under a used id is a 409
 * `order-id-reused`. Clients cannot set it: the gateway mints it.
 */
export const ORDER_ID_HEADER = 'x-mesh-order-id';

/**
 * Internal header, gateway → order: how many milliseconds the caller still waits for the answer,
 * counted from when the request is sent. Relative, not an instant, so the two hosts' clocks need
 * not agree; the time the request spends on the wire is covered by the margin the order service
 * keeps back (ORDER_DEADLINE_MARGIN_MS). The order service bounds every call it makes by it and
 * answers in time, with 202 when the outcome is not decided by then.
 */
export const DEADLINE_HEADER = 'x-mesh-deadline-ms';
export const DeadlineMs = Type.String({ pattern: '^[1-9][0-9]{0,8}$' });

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

/**
 * POST /orders answers 201 with an order that reached its terminal status, 200 with the order of
 * an earlier identical request (Idempotent-Replayed: true), and 202 with an order whose outcome
 * is not decided yet (e.g. the charge's result is unknown): the recovery job finishes it, and
 * GET on its Location tells when. Every one of them carries `Location`.
 */
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
