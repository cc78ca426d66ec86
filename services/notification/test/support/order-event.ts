import { randomUUID } from 'node:crypto';
import type { OrderEvent } from '@mesh/contracts';

/** A confirmed order's event, with fresh ids; `overrides` change any field. */
export function orderEvent(overrides: Partial<OrderEvent> = {}): OrderEvent {
  return {
    id: randomUUID(),
    type: 'order.confirmed',
    occurredAt: new Date().toISOString(),
    orderId: randomUUID(),
    customerId: 'ada',
    status: 'CONFIRMED',
    items: [{ sku: 'MUG-BLUE-350', quantity: 2, unitPriceCents: 1200 }],
    totalCents: 2400,
    currency: 'EUR',
    ...overrides,
  };
}
