import type { Order } from '@mesh/contracts';
import { createPool, type Pool } from '@mesh/service-kit';
import { createLogger } from '@mesh/telemetry';
import { eventually } from '@mesh/testkit';
import { DB_SCHEMA } from '../src/config';
import { recoverStaleOrders } from '../src/domain/recover-orders';
import {
  newCustomer,
  type OrderServiceUnderTest,
  orderOf,
  startOrderService,
} from './support/order-service';
import { outboxRows } from './support/outbox';

// The recovery job calls payment and inventory for every stale order. It must not hold a
// transaction (and the order's row lock) open across those calls, and replicas of it must
// still never work on the same order at once.
describe('the order recovery job and its leases', () => {
  let service: OrderServiceUnderTest;
  /** Another application on the same database, as a request or a DBA would be. */
  let observer: Pool;

  beforeAll(async () => {
    service = await startOrderService({ paymentTimeoutMs: 3_000 });
    observer = createPool(service.databaseUrl, {
      applicationName: 'order-test-observer',
      schema: DB_SCHEMA,
      logger: createLogger({ level: 'silent' }),
    });
  });
  afterEach(async () => {
    service.reset();
    // Nothing of one test left for the next one's passes.
    await service.pool.query(
      `UPDATE orders SET status = 'PAYMENT_FAILED' WHERE status IN ('PENDING', 'STOCK_RESERVED')`,
    );
  });
  afterAll(async () => {
    await observer.end();
    await service.close();
  });

  /** A request whose charge failed and could not be undone: left STOCK_RESERVED, charged later. */
  async function chargedOrderLeftInProgress(): Promise<Order> {
    service.payment.behaviour.charge = 'unavailable';
    service.payment.behaviour.void = 'unavailable';
    const customerId = newCustomer();
    expect(
      (await service.placeOrder({ customerId, items: [{ sku: 'MUG-BLUE-350', quantity: 1 }] }))
        .status,
    ).toBe(202);
    const [stored] = await service.ordersOf(customerId);
    expect(stored?.status).toBe('STOCK_RESERVED');
    service.recoverDependencies();
    const id = stored?.id as string;
    service.payment.payments.set(id, service.payment.paymentFor(id, 'CHARGED'));
    return orderOf(await service.getOrder(id));
  }

  /** Resolves once payment has been asked about the order, while it is still answering. */
  function lookupUnderWay(orderId: string): Promise<true> {
    return eventually(
      () =>
        service.payment.callsTo('lookup').some((call) => call.path.endsWith(orderId)) || undefined,
      `the payment lookup of ${orderId}`,
    );
  }

  async function statusOf(orderId: string): Promise<string> {
    return (await orderOf(await service.getOrder(orderId))).status;
  }

  it('when the job waits for a slow payment, then none of its transactions is open and another connection can change the order meanwhile', async () => {
    const left = await chargedOrderLeftInProgress();
    service.payment.delayMs.lookup = 1_000;

    const pass = recoverStaleOrders(service.deps, { afterMs: 0 });
    await lookupUnderWay(left.id);

    const { rows } = await observer.query<{ open: number }>(
      `SELECT count(*)::int AS open FROM pg_stat_activity
       WHERE datname = current_database() AND application_name = 'order-test'
         AND state LIKE 'idle in transaction%'`,
    );
    expect(rows).toEqual([{ open: 0 }]);
    const client = await observer.connect();
    try {
      // Fails instead of waiting, should the job hold the row's lock.
      await client.query(`SET lock_timeout = '200ms'`);
      const touched = await client.query(
        'UPDATE orders SET updated_at = updated_at WHERE id = $1',
        [left.id],
      );
      expect(touched.rowCount).toBe(1);
    } finally {
      client.release();
    }

    expect(await pass).toEqual({ confirmed: 1, abandoned: 0, left: 0 });
    expect(await statusOf(left.id)).toBe('CONFIRMED');
  });

  it('when the order was finished elsewhere while the job asked payment, then the job leaves it as it is', async () => {
    const left = await chargedOrderLeftInProgress();
    service.payment.delayMs.lookup = 500;

    const pass = recoverStaleOrders(service.deps, { afterMs: 0 });
    await lookupUnderWay(left.id);
    await observer.query(
      `UPDATE orders SET status = 'PAYMENT_FAILED', status_reason = 'elsewhere' WHERE id = $1`,
      [left.id],
    );

    expect(await pass).toEqual({ confirmed: 0, abandoned: 0, left: 0 });
    const after = await orderOf(await service.getOrder(left.id));
    expect(after).toMatchObject({ status: 'PAYMENT_FAILED', statusReason: 'elsewhere' });
    expect(after.history.map((entry) => entry.status)).toEqual(['PENDING', 'STOCK_RESERVED']);
    expect(await outboxRows(service.pool, [left.id])).toEqual([]);
    expect(service.inventory.callsTo('commit')).toHaveLength(0);
  });

  it('when two job instances run at once, then each order is worked on by one of them only', async () => {
    const orders = [
      await chargedOrderLeftInProgress(),
      await chargedOrderLeftInProgress(),
      await chargedOrderLeftInProgress(),
    ];
    service.payment.delayMs.lookup = 300;

    const reports = await Promise.all([
      recoverStaleOrders(service.deps, { afterMs: 0, batchSize: 1 }),
      recoverStaleOrders(service.deps, { afterMs: 0, batchSize: 1 }),
    ]);

    expect(reports.reduce((sum, report) => sum + report.confirmed, 0)).toBe(3);
    const lookedUp = service.payment.callsTo('lookup').map((call) => call.path);
    expect(lookedUp.sort()).toEqual(orders.map((order) => `/payments/${order.id}`).sort());
    for (const order of orders) {
      expect(await statusOf(order.id)).toBe('CONFIRMED');
      expect(await outboxRows(service.pool, [order.id])).toHaveLength(1);
    }
  });

  it('when the pass is told to stop, then it finishes the order under way, takes no other, and hands back its claims', async () => {
    const orders = [await chargedOrderLeftInProgress(), await chargedOrderLeftInProgress()];
    service.payment.delayMs.lookup = 300;
    const stopping = new AbortController();

    const pass = recoverStaleOrders(service.deps, { afterMs: 0, signal: stopping.signal });
    await eventually(() => service.payment.callsTo('lookup').length > 0 || undefined, 'a lookup');
    stopping.abort();

    expect(await pass).toEqual({ confirmed: 1, abandoned: 0, left: 0 });
    expect(service.payment.callsTo('lookup')).toHaveLength(1);
    const statuses = await Promise.all(orders.map((order) => statusOf(order.id)));
    expect(statuses.sort()).toEqual(['CONFIRMED', 'STOCK_RESERVED']);
    const { rows } = await observer.query(
      'SELECT id FROM orders WHERE id = ANY($1::uuid[]) AND claimed_until IS NOT NULL',
      [orders.map((order) => order.id)],
    );
    expect(rows).toEqual([]);
  });

  it('when another instance holds a claim on an order, then a pass leaves it until the claim expires', async () => {
    const left = await chargedOrderLeftInProgress();
    await observer.query(
      `UPDATE orders SET claimed_until = now() + interval '1 hour' WHERE id = $1`,
      [left.id],
    );

    expect(await recoverStaleOrders(service.deps, { afterMs: 0 })).toEqual({
      confirmed: 0,
      abandoned: 0,
      left: 0,
    });
    expect(service.payment.callsTo('lookup')).toHaveLength(0);

    // The instance that claimed it died: its lease runs out.
    await observer.query(
      `UPDATE orders SET claimed_until = now() - interval '1 second' WHERE id = $1`,
      [left.id],
    );
    expect(await recoverStaleOrders(service.deps, { afterMs: 0 })).toMatchObject({ confirmed: 1 });
    expect(await statusOf(left.id)).toBe('CONFIRMED');
  });
});
