import { type Static, Type } from '@sinclair/typebox';
import {
  Currency,
  IsoTime,
  ItemRequest,
  MAX_ORDER_ITEMS,
  OrderId,
  PricedItem,
  Sku,
} from './common';

// The inventory service's HTTP API (internal: only the gateway and order call it).

export const Product = Type.Object({
  sku: Sku,
  name: Type.String(),
  description: Type.String(),
  priceCents: Type.Integer({ minimum: 0 }),
  currency: Currency,
  /** Units that can still be reserved. */
  stock: Type.Integer({ minimum: 0 }),
});
export type Product = Static<typeof Product>;

export const ProductListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000, default: 0 })),
  },
  { additionalProperties: false },
);
export type ProductListQuery = Static<typeof ProductListQuery>;

export const ProductList = Type.Object({
  items: Type.Array(Product),
  total: Type.Integer({ minimum: 0 }),
  limit: Type.Integer(),
  offset: Type.Integer(),
});
export type ProductList = Static<typeof ProductList>;

export const SkuParams = Type.Object({ sku: Sku }, { additionalProperties: false });
export type SkuParams = Static<typeof SkuParams>;

/** POST /reservations: reserve every line or none. Idempotent per orderId. */
export const ReserveStockRequest = Type.Object(
  {
    orderId: OrderId,
    items: Type.Array(ItemRequest, { minItems: 1, maxItems: MAX_ORDER_ITEMS }),
  },
  { additionalProperties: false },
);
export type ReserveStockRequest = Static<typeof ReserveStockRequest>;

export const ReservationStatus = Type.Union([
  Type.Literal('RESERVED'),
  Type.Literal('COMMITTED'),
  Type.Literal('RELEASED'),
]);
export type ReservationStatus = Static<typeof ReservationStatus>;

export const Reservation = Type.Object({
  orderId: OrderId,
  status: ReservationStatus,
  /** A RESERVED reservation not committed by then is released by the inventory service. */
  expiresAt: IsoTime,
  items: Type.Array(PricedItem),
  totalCents: Type.Integer({ minimum: 0 }),
  currency: Currency,
});
export type Reservation = Static<typeof Reservation>;

export const OrderIdParams = Type.Object({ orderId: OrderId }, { additionalProperties: false });
export type OrderIdParams = Static<typeof OrderIdParams>;
