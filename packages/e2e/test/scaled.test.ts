import { api, type Environment, productWithStock, startEnvironment } from '../src';

type Order = { id: string; status: string };

/** The order ids an instance logged with `message`, from its JSON log lines. */
function loggedOrderIds(output: string, message: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg?: string; orderId?: string })
    .filter((entry) => entry.msg === message && entry.orderId)
    .map((entry) => entry.orderId as string);
}

describe('a stack with two order and two notification instances', () => {
  let env: Environment;
  beforeAll(async () => {
    env = await startEnvironment({ instances: { order: 2, notification: 2 } });
  });
  afterAll(() => env?.stop());

  it('when orders arrive, then both order instances place them and each customer is notified once', async () => {
    const sku = await productWithStock(env.db, 100, 1);
    // At once: the gateway opens several connections to order, which the balancer alternates.
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        api<Order>(env.stack, 'POST', '/api/orders', {
          body: { customerId: `scaled-${i}`, items: [{ sku, quantity: 1 }] },
        }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(12).fill(201));
    const placed = responses.map((response) => response.body);
    expect(placed.map((order) => order.status)).toEqual(Array(12).fill('CONFIRMED'));
    const ids = placed.map((order) => order.id).sort();

    const [first, second] = env.stack.instances.order;
    const byFirst = loggedOrderIds(first?.output() ?? '', 'order placed');
    const bySecond = loggedOrderIds(second?.output() ?? '', 'order placed');
    expect(byFirst.length).toBeGreaterThan(0);
    expect(bySecond.length).toBeGreaterThan(0);
    expect([...byFirst, ...bySecond].sort()).toEqual(ids);

    // Each confirmed order's event is handled by exactly one notification instance, once.
    const notified = async () =>
      env.stack.instances.notification.flatMap((instance) =>
        loggedOrderIds(instance.output(), 'customer notified'),
      );
    const deadline = Date.now() + 30_000;
    while ((await notified()).length < ids.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect((await notified()).sort()).toEqual(ids);
    const { rows } = await env.db.query<{ order_id: string; n: number }>(
      'SELECT order_id, count(*)::int AS n FROM notifications.notifications WHERE order_id = ANY($1::uuid[]) GROUP BY order_id',
      [ids],
    );
    expect(rows).toHaveLength(ids.length);
    expect(rows.every((row) => row.n === 1)).toBe(true);
  });
});
