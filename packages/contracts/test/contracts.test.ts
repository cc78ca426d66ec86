import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import {
  ChargeRequest,
  deadLetterTopic,
  NotificationQuery,
  ORDER_EVENTS_TOPIC,
  OrderEvent,
  OrderParams,
  PlaceOrderRequest,
  PROBLEM_CODES,
  problemType,
  ReserveStockRequest,
} from '../src';

// The services validate with Ajv and its formats; TypeBox's checker needs them registered.
FormatRegistry.Set('date-time', (value) => !Number.isNaN(Date.parse(value)));

const ORDER_ID = '5b0c7c1e-8d2f-4f5a-9a57-1f0b1c2d3e4f';

describe('contracts', () => {
  it('when an order request is well formed, then it passes; unknown fields, bad quantities and SKUs do not', () => {
    const valid = { customerId: 'ada', items: [{ sku: 'MUG-BLUE-350', quantity: 2 }] };
    expect(Value.Check(PlaceOrderRequest, valid)).toBe(true);
    expect(Value.Check(PlaceOrderRequest, { ...valid, coupon: 'FREE' })).toBe(false);
    expect(
      Value.Check(PlaceOrderRequest, { ...valid, items: [{ sku: 'MUG-BLUE-350', quantity: 0 }] }),
    ).toBe(false);
    expect(Value.Check(PlaceOrderRequest, { ...valid, items: [{ sku: 'mug', quantity: 1 }] })).toBe(
      false,
    );
    const tooMany = Array.from({ length: 21 }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1 }));
    expect(Value.Check(PlaceOrderRequest, { ...valid, items: tooMany })).toBe(false);
  });

  it('when internal requests carry an order id, then it must be a UUID', () => {
    const items = [{ sku: 'MUG-BLUE-350', quantity: 1 }];
    expect(Value.Check(ReserveStockRequest, { orderId: ORDER_ID, items })).toBe(true);
    expect(Value.Check(ReserveStockRequest, { orderId: '42', items })).toBe(false);
    const charge = { orderId: ORDER_ID, customerId: 'ada', amountCents: 100, currency: 'EUR' };
    expect(Value.Check(ChargeRequest, charge)).toBe(true);
    expect(Value.Check(ChargeRequest, { ...charge, currency: 'USD' })).toBe(false);
  });

  it('when an id is not a plain hex UUID, then every schema that carries one refuses it', () => {
    // PostgreSQL's uuid type refuses the URN form, so it must never pass validation.
    const notPlain = [
      `urn:uuid:${ORDER_ID}`,
      `{${ORDER_ID}}`,
      ORDER_ID.replace(/-/g, ''),
      ` ${ORDER_ID}`,
    ];
    for (const id of notPlain) {
      expect({ id, valid: Value.Check(OrderParams, { id }) }).toEqual({ id, valid: false });
      expect({ id, valid: Value.Check(NotificationQuery, { orderId: id }) }).toEqual({
        id,
        valid: false,
      });
    }
    expect(Value.Check(OrderParams, { id: ORDER_ID })).toBe(true);
    expect(Value.Check(OrderParams, { id: ORDER_ID.toUpperCase() })).toBe(true);
  });

  it('when an order event is built as the order service builds it, then it matches the schema', () => {
    const event = {
      id: '0b5a8a6e-6f0e-4b9b-8d7b-2f7e3c1d9a10',
      type: 'order.cancelled',
      occurredAt: '2026-11-22T10:00:00.000Z',
      orderId: ORDER_ID,
      customerId: 'ada',
      status: 'PAYMENT_FAILED',
      reason: 'declined: card-declined',
      items: [{ sku: 'MUG-BLUE-350', quantity: 1, unitPriceCents: 1290 }],
      totalCents: 1290,
      currency: 'EUR',
    };
    expect(Value.Check(OrderEvent, event)).toBe(true);
    expect(Value.Check(OrderEvent, { ...event, status: 'PENDING' })).toBe(false);
  });

  it('then every problem code has an HTTP error status and a URN type', () => {
    for (const [code, status] of Object.entries(PROBLEM_CODES)) {
      expect({ code, status: status >= 400 && status < 600 }).toEqual({ code, status: true });
      expect(problemType(code)).toBe(`urn:mesh:problem:${code}`);
    }
  });

  it('then each consumer group has its own dead-letter topic', () => {
    expect(deadLetterTopic(ORDER_EVENTS_TOPIC, 'inventory')).toBe('order-events.inventory.dlq');
    expect(deadLetterTopic(ORDER_EVENTS_TOPIC, 'notification')).not.toBe(
      deadLetterTopic(ORDER_EVENTS_TOPIC, 'inventory'),
    );
  });
});
