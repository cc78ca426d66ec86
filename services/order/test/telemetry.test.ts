import { startInMemoryTelemetry } from '@mesh/telemetry-testing';
import { SpanStatusCode } from '@opentelemetry/api';
import {
  newCustomer,
  type OrderServiceUnderTest,
  orderOf,
  startOrderService,
} from './support/order-service';

// Business spans and metrics only: library instrumentation (HTTP, pg) does not run under jest.
const telemetry = startInMemoryTelemetry();

describe('telemetry of placing an order', () => {
  let service: OrderServiceUnderTest;

  beforeAll(async () => {
    service = await startOrderService();
  });
  afterEach(() => {
    service.reset();
    telemetry.reset();
  });
  afterAll(async () => {
    await service.close();
    await telemetry.shutdown();
  });

  /** Cumulative since the start of the file: tests compare before and after. */
  async function sumOf(metric: string, outcome: string): Promise<number> {
    const scopes = (await telemetry.collectMetrics()).flatMap((resource) => resource.scopeMetrics);
    const points = scopes
      .filter((scope) => scope.scope.name === '@mesh/order')
      .flatMap((scope) => scope.metrics)
      .filter((data) => data.descriptor.name === metric)
      .flatMap((data) => data.dataPoints as { attributes: object; value: unknown }[])
      .filter(
        (point) => (point.attributes as Record<string, unknown>)['mesh.order.outcome'] === outcome,
      );
    return points.reduce((sum, point) => {
      const value = point.value as number | { count: number };
      return sum + (typeof value === 'number' ? value : value.count);
    }, 0);
  }

  it('when an order is confirmed, then a place order span holds the steps, its attributes and events, and the outcome is counted', async () => {
    const counted = await sumOf('mesh.orders', 'confirmed');
    const timed = await sumOf('mesh.order.duration', 'confirmed');
    const customerId = newCustomer();
    const response = await service.placeOrder({
      customerId,
      items: [{ sku: 'MUG-BLUE-350', quantity: 2 }],
    });
    const order = await orderOf(response);

    const spans = await telemetry.spans();
    const root = spans.find((span) => span.name === 'place order');
    // No customer id: it is personal data; the order id is the handle.
    expect(root?.attributes).toEqual({
      'mesh.order.item_count': 1,
      'mesh.order.id': order.id,
      'mesh.order.status': 'CONFIRMED',
    });
    expect(root?.events.map((event) => event.name)).toEqual(['stock reserved', 'order confirmed']);
    const children = spans.filter(
      (span) => span.parentSpanContext?.spanId === root?.spanContext().spanId,
    );
    expect(children.map((span) => span.name)).toEqual([
      'reserve stock',
      'persist order',
      'charge payment',
      'confirm order',
    ]);
    for (const child of children) expect(child.attributes['mesh.order.id']).toBe(order.id);

    expect(await sumOf('mesh.orders', 'confirmed')).toBe(counted + 1);
    expect(await sumOf('mesh.order.duration', 'confirmed')).toBe(timed + 1);
  });

  it('when the payment is declined, then the span says so and the outcome is payment_failed', async () => {
    service.payment.behaviour.charge = 'decline';
    const before = await sumOf('mesh.orders', 'payment_failed');
    await service.placeOrder({
      customerId: newCustomer(),
      items: [{ sku: 'TEE-BLACK-M', quantity: 1 }],
    });

    const spans = await telemetry.spans();
    const root = spans.find((span) => span.name === 'place order');
    expect(root?.attributes['mesh.order.status']).toBe('PAYMENT_FAILED');
    expect(root?.events.map((event) => event.name)).toEqual(['stock reserved', 'payment declined']);
    expect(spans.map((span) => span.name)).toContain('release stock');
    expect(await sumOf('mesh.orders', 'payment_failed')).toBe(before + 1);
  });

  it('when payment is unavailable, then the charge span records the error and the outcome is counted', async () => {
    service.payment.behaviour.charge = 'unavailable';
    const before = await sumOf('mesh.orders', 'payment_failed');
    const response = await service.placeOrder({
      customerId: newCustomer(),
      items: [{ sku: 'TEE-BLACK-M', quantity: 1 }],
    });
    expect(response.status).toBe(503);

    const spans = await telemetry.spans();
    const charge = spans.find((span) => span.name === 'charge payment');
    expect(charge?.status.code).toBe(SpanStatusCode.ERROR);
    expect(charge?.attributes['error.type']).toBe('dependency-unavailable');
    expect(spans.map((span) => span.name)).toEqual(
      expect.arrayContaining(['void payment', 'release stock']),
    );
    // Void and release worked, so the order did end: PAYMENT_FAILED.
    expect(await sumOf('mesh.orders', 'payment_failed')).toBe(before + 1);
  });

  it('when inventory is unavailable, then the outcome is counted as error', async () => {
    service.inventory.behaviour.reserve = 'unavailable';
    const before = await sumOf('mesh.orders', 'error');
    await service.placeOrder({
      customerId: newCustomer(),
      items: [{ sku: 'TEE-BLACK-M', quantity: 1 }],
    });
    expect(await sumOf('mesh.orders', 'error')).toBe(before + 1);
  });
});
