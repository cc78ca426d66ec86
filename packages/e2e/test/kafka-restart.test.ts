import { eventually } from '@mesh/testkit';
import { api, type Environment, productWithStock, startEnvironment } from '../src';

const ORDERS = 60;
const WORKERS = 4;
const RESTART_AFTER = 15;

// Bounded load on 127.0.0.1 only: 60 orders from 4 workers, then the loop ends by itself.
describe('when the Kafka broker restarts while orders are flowing', () => {
  let env: Environment;
  beforeAll(async () => {
    env = await startEnvironment({ dedicatedKafka: true });
  });
  afterAll(() => env?.stop());

  it('then every accepted order reaches its terminal state and exactly one notification', async () => {
    const sku = await productWithStock(env.db, 10_000);
    const accepted: string[] = [];
    const refused: number[] = [];
    let started = 0;
    let restart: Promise<void> | undefined;

    const worker = async (w: number) => {
      while (started < ORDERS) {
        started += 1;
        const response = await api<{ id: string; status: string }>(
          env.stack,
          'POST',
          '/api/orders',
          {
            body: { customerId: `restart-${w}`, items: [{ sku, quantity: 1 }] },
          },
        );
        if (response.status === 201) accepted.push(response.body.id);
        else refused.push(response.status);
        if (accepted.length === RESTART_AFTER && !restart) {
          // The broker goes away for a few seconds while the other workers keep ordering.
          restart = env.kafka?.restart({ downForMs: 3_000 });
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    await restart;

    // Orders do not need Kafka to be accepted: the outbox holds their events.
    expect(refused).toEqual([]);
    expect(accepted).toHaveLength(ORDERS);
    const { rows: terminal } = await env.db.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM orders.orders WHERE id = ANY($1::uuid[]) GROUP BY status',
      [accepted],
    );
    expect(terminal).toEqual([{ status: 'CONFIRMED', n: ORDERS }]);

    const notified = await eventually(
      async () => {
        const { rows } = await env.db.query<{ order_id: string; n: number }>(
          `SELECT order_id, count(*)::int AS n FROM notifications.notifications
            WHERE order_id = ANY($1::uuid[]) GROUP BY order_id`,
          [accepted],
        );
        return rows.length === ORDERS ? rows : undefined;
      },
      'a notification for every order',
      { timeoutMs: 120_000 },
    );
    expect(notified.filter((row) => row.n !== 1)).toEqual([]);

    const { rows: outbox } = await env.db.query<{ unpublished: number }>(
      'SELECT count(*)::int AS unpublished FROM orders.outbox WHERE published_at IS NULL',
    );
    expect(outbox).toEqual([{ unpublished: 0 }]);
    const { rows: reservations } = await env.db.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM inventory.reservations
        WHERE order_id = ANY($1::uuid[]) GROUP BY status`,
      [accepted],
    );
    expect(reservations).toEqual([{ status: 'COMMITTED', n: ORDERS }]);
  }, 240_000);
});
