import { join } from 'node:path';
import { createPool, migrate, type Pool } from '@mesh/service-kit';
import { startPostgres, type TestPostgres } from '@mesh/testkit';
import {
  findPayment,
  insertPendingPayment,
  insertVoidedTombstone,
  settlePayment,
} from '../src/data/payment.repository';
import { chargeRequest, silentLogger } from './support/payment-app';

// The database guard on its own: what stays true when two requests get past every lookup at once.
describe('payment repository', () => {
  let postgres: TestPostgres;
  let pool: Pool;

  beforeAll(async () => {
    postgres = await startPostgres();
    await migrate({
      databaseUrl: postgres.url,
      schema: 'payments',
      dir: join(__dirname, '..', 'migrations'),
      logger: silentLogger,
    });
    pool = createPool(postgres.url, {
      applicationName: 'payment-test',
      schema: 'payments',
      logger: silentLogger,
    });
  });
  afterAll(async () => {
    await pool.end();
    await postgres.stop();
  });

  it('when two pending payments race for one order, then one row is inserted and the other insert yields nothing', async () => {
    const request = chargeRequest();
    const [first, second] = await Promise.all([
      insertPendingPayment(pool, request),
      insertPendingPayment(pool, request),
    ]);
    expect([first, second].filter(Boolean)).toHaveLength(1);
    expect(await insertPendingPayment(pool, request)).toBeUndefined();
    const { rows } = await pool.query('SELECT status FROM payments WHERE order_id = $1', [
      request.orderId,
    ]);
    expect(rows).toEqual([{ status: 'PENDING' }]);
  });

  it('when a payment exists, then a tombstone for its order is not inserted', async () => {
    const request = chargeRequest();
    await insertPendingPayment(pool, request);
    expect(await insertVoidedTombstone(pool, request.orderId)).toBeUndefined();
    expect((await findPayment(pool, request.orderId))?.status).toBe('PENDING');
  });

  it('when a payment is no longer PENDING, then settling it changes nothing', async () => {
    const request = chargeRequest();
    const tombstone = await insertVoidedTombstone(pool, request.orderId);
    expect(await settlePayment(pool, tombstone?.id ?? '', { status: 'CHARGED' })).toBeUndefined();
    expect((await findPayment(pool, request.orderId))?.status).toBe('VOIDED');
  });

  it('when a status outside the contract is written, then the database refuses it', async () => {
    const pending = await insertPendingPayment(pool, chargeRequest());
    await expect(
      pool.query(`UPDATE payments SET status = 'REFUNDED' WHERE id = $1`, [pending?.id]),
    ).rejects.toThrow(/check constraint/);
  });
});
