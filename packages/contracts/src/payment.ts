import { type Static, Type } from '@sinclair/typebox';
import { Currency, CustomerId, IsoTime, OrderId, Uuid } from './common';

// The payment service's HTTP API (internal: only the order service calls it).

/**
 * POST /payments: charge an order. Idempotent per orderId: a repeated request returns the payment
 * already made and never charges twice.
 */
export const ChargeRequest = Type.Object(
  {
    orderId: OrderId,
    customerId: CustomerId,
    amountCents: Type.Integer({ minimum: 1, maximum: 100_000_000 }),
    currency: Currency,
  },
  { additionalProperties: false },
);
export type ChargeRequest = Static<typeof ChargeRequest>;

/**
 * CHARGED and DECLINED are the processor's answers. VOIDED: the order gave up on the payment
 * (e.g. its charge call timed out) and any charge was reversed; a later charge for that order is
 * refused.
 */
export const PaymentStatus = Type.Union([
  Type.Literal('PENDING'),
  Type.Literal('CHARGED'),
  Type.Literal('DECLINED'),
  Type.Literal('VOIDED'),
]);
export type PaymentStatus = Static<typeof PaymentStatus>;

export const Payment = Type.Object({
  id: Uuid,
  orderId: OrderId,
  customerId: CustomerId,
  amountCents: Type.Integer(),
  currency: Currency,
  status: PaymentStatus,
  declineReason: Type.Optional(Type.String()),
  createdAt: IsoTime,
  updatedAt: IsoTime,
});
export type Payment = Static<typeof Payment>;

/**
 * Customers whose payments the simulated processor always declines, like a card network's test
 * cards: a workshop or a test can produce a decline on purpose.
 */
export const ALWAYS_DECLINED_CUSTOMER = 'customer-declined';
