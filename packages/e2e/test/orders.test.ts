import { ALWAYS_DECLINED_CUSTOMER } from '@mesh/contracts';
import { eventually } from '@mesh/testkit';
import { api, type Environment, productWithStock, startEnvironment, stockOf } from '../src';

type Order = { id: string; status: string; statusReason?: string; history: { status: string }[] };

describe('orders through the public API, all services running', () => {
  let env: Environment;
  beforeAll(async () => {
    env = await startEnvironment({
      env: {
        // The recovery job resolves orders left half-done within seconds (default: a minute).
        order: {
          ORDER_RECOVERY_AFTER_MS: '1000',
          ORDER_RECOVERY_INTERVAL_MS: '500',
          PAYMENT_TIMEOUT_MS: '1500',
        },
      },
    });
  });
  afterAll(() => env?.stop());

  it('when 50 orders race for the last 10 units, then exactly 10 are confirmed and stock ends at 0', async () => {
    const sku = await productWithStock(env.db, 10, 1);
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        api<Order>(env.stack, 'POST', '/api/orders', {
          body: { customerId: `racer-${i}`, items: [{ sku, quantity: 1 }] },
        }),
      ),
    );
    expect(responses.map((r) => r.status).filter((s) => s !== 201)).toEqual([]);
    const statuses = responses.map((r) => r.body.status);
    expect(statuses.filter((s) => s === 'CONFIRMED')).toHaveLength(10);
    expect(statuses.filter((s) => s === 'REJECTED')).toHaveLength(40);
    expect(await stockOf(env.db, sku)).toBe(0);
    const { rows } = await env.db.query<{ n: string }>(
      "SELECT count(*) AS n FROM payments.payments WHERE status = 'CHARGED' AND order_id = ANY($1::uuid[])",
      [responses.map((r) => r.body.id)],
    );
    expect(Number(rows[0]?.n)).toBe(10);
  });

  it('when the same order is posted twice with one Idempotency-Key, then there is one order and one charge', async () => {
    const sku = await productWithStock(env.db, 50, 2);
    const request = {
      body: { customerId: 'careful-customer', items: [{ sku, quantity: 3 }] },
      headers: { 'idempotency-key': `key-${Date.now()}` },
    };
    const first = await api<Order>(env.stack, 'POST', '/api/orders', request);
    const second = await api<Order>(env.stack, 'POST', '/api/orders', request);
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body.id).toBe(first.body.id);
    const { rows } = await env.db.query<{ n: string }>(
      "SELECT count(*) AS n FROM payments.payments WHERE customer_id = 'careful-customer'",
    );
    expect(Number(rows[0]?.n)).toBe(1);
    expect(await stockOf(env.db, sku)).toBe(47);
  });

  it('when the payment is declined, then the order is PAYMENT_FAILED and its stock is back', async () => {
    const sku = await productWithStock(env.db, 5, 3);
    const placed = await api<Order>(env.stack, 'POST', '/api/orders', {
      body: { customerId: ALWAYS_DECLINED_CUSTOMER, items: [{ sku, quantity: 2 }] },
    });
    expect(placed.status).toBe(201);
    expect(placed.body.status).toBe('PAYMENT_FAILED');
    expect(await stockOf(env.db, sku)).toBe(5);
    const fetched = await api<Order>(env.stack, 'GET', `/api/orders/${placed.body.id}`);
    expect(fetched.body.history.map((h) => h.status)).toEqual([
      'PENDING',
      'STOCK_RESERVED',
      'PAYMENT_FAILED',
    ]);
  });

  it('when the input is bad, then the gateway answers 4xx and nothing reaches the other services', async () => {
    const sku = await productWithStock(env.db, 5, 4);
    const before = await env.db.query<{ n: string }>('SELECT count(*) AS n FROM orders.orders');
    const cases = [
      { body: { customerId: 'x', items: [{ sku, quantity: 0 }] }, status: 400 },
      { body: { customerId: 'x', items: [{ sku, quantity: 1 }], coupon: 'FREE' }, status: 400 },
      { body: { customerId: 'x', items: [] }, status: 400 },
      {
        body: { customerId: 'x', items: [{ sku, quantity: 1 }] },
        headers: { 'x-api-key': 'wrong' },
        status: 401,
      },
    ];
    for (const { body, headers, status } of cases) {
      const response = await api(env.stack, 'POST', '/api/orders', {
        body,
        ...(headers ? { headers } : {}),
      });
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const traceId = response.headers.get('x-trace-id');
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      await env.capture.waitFor(
        () => env.capture.spans().some((s) => s.traceId === traceId && s.serviceName === 'gateway'),
        { what: 'the gateway span of the refused request' },
      );
      const downstream = env.capture
        .spans()
        .filter((s) => s.traceId === traceId && s.serviceName !== 'gateway');
      expect(downstream).toEqual([]);
    }
    const after = await env.db.query<{ n: string }>('SELECT count(*) AS n FROM orders.orders');
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
    expect(await stockOf(env.db, sku)).toBe(5);
  });

  it('when payment is down, then the gateway answers 202 quickly with the order in progress, and once payment is back the order ends terminal with its stock returned', async () => {
    const sku = await productWithStock(env.db, 8, 5);
    await env.stack.services.payment.stop();
    try {
      const started = Date.now();
      const placed = await api<Order>(env.stack, 'POST', '/api/orders', {
        body: { customerId: 'unlucky', items: [{ sku, quantity: 1 }] },
      });
      expect(Date.now() - started).toBeLessThan(3_000);
      // Whether the charge went through is unknown and cannot be undone yet: not decided.
      expect(placed.status).toBe(202);
      expect(placed.body.status).toBe('STOCK_RESERVED');
      expect(placed.headers.get('location')).toBe(`/api/orders/${placed.body.id}`);
    } finally {
      await env.stack.services.payment.start();
    }
    const order = await eventually(async () => {
      const { rows } = await env.db.query<{ id: string; status: string }>(
        "SELECT id, status FROM orders.orders WHERE customer_id = 'unlucky'",
      );
      const row = rows[0];
      return row && ['CONFIRMED', 'REJECTED', 'PAYMENT_FAILED'].includes(row.status)
        ? row
        : undefined;
    }, 'the order to reach a terminal state');
    expect(order.status).toBe('PAYMENT_FAILED');
    expect(await stockOf(env.db, sku)).toBe(8);
  });
});
