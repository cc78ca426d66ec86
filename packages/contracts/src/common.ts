import { type Static, Type } from '@sinclair/typebox';

/** Stock keeping unit: upper-case letters, digits and dashes, e.g. "MUG-BLUE-350". */
export const Sku = Type.String({
  pattern: '^[A-Z0-9][A-Z0-9-]{1,31}$',
  description: 'Product SKU',
});

/**
 * Order ids are UUIDs. The gateway mints one for every POST /api/orders before it forwards the
 * request, so that even a failed answer can name the order (see ORDER_ID_HEADER); the order
 * service mints one only when its caller gave none.
 */
export const OrderId = Type.String({ format: 'uuid', description: 'Order id (UUID)' });

export const CustomerId = Type.String({
  pattern: '^[A-Za-z0-9_-]{1,64}$',
  description: 'Customer id: 1-64 letters, digits, "_" or "-"',
});

/** Money is integer minor units (cents) with an ISO 4217 code: no floating point rounding. */
export const Currency = Type.Literal('EUR');
export type Currency = Static<typeof Currency>;

/** One line of an order as a client sends it. */
export const ItemRequest = Type.Object(
  {
    sku: Sku,
    quantity: Type.Integer({ minimum: 1, maximum: 100 }),
  },
  { additionalProperties: false },
);
export type ItemRequest = Static<typeof ItemRequest>;

/** The most lines one order may have. */
export const MAX_ORDER_ITEMS = 20;

/** One priced line, as inventory reserved it and the order stores it. */
export const PricedItem = Type.Object({
  sku: Sku,
  quantity: Type.Integer({ minimum: 1 }),
  unitPriceCents: Type.Integer({ minimum: 0 }),
});
export type PricedItem = Static<typeof PricedItem>;

export const IsoTime = Type.String({ format: 'date-time' });
