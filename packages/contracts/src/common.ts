import { type Static, Type } from '@sinclair/typebox';

/** Stock keeping unit: upper-case letters, digits and dashes, e.g. "MUG-BLUE-350". */
export const Sku = Type.String({
  pattern: '^[A-Z0-9][A-Z0-9-]{1,31}$',
  description: 'Product SKU',
});

/**
 * A UUID in its plain hex form, either case, e.g. "5b0c7c1e-8d2f-4f5a-9a57-1f0b1c2d3e4f". A pattern,
 * not Ajv's `uuid` format: that format also accepts "urn:uuid:…", which PostgreSQL's uuid type
 * refuses, so such an id would pass validation and then fail as a 500 in the database.
 */
export const UUID_PATTERN =
  '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

export const Uuid = Type.String({ pattern: UUID_PATTERN, description: 'UUID' });

/**
 * Order ids are UUIDs. The gateway mints one for every POST /api/orders before it forwards the
 * request, so that even a failed answer can name the order (see ORDER_ID_HEADER); the order
 * service mints one only when its caller gave none.
 */
export const OrderId = Type.String({ pattern: UUID_PATTERN, description: 'Order id (UUID)' });

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
