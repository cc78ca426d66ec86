import type { Order } from '@mesh/contracts';
import { recoverStaleOrders } from '../src/domain/recover-orders';
import { startOrderRecovery } from '../src/jobs/order-recovery.job';
import {
  newCustomer,
  type OrderServiceUnderTest,
  orderOf,
  problemOf,
  startOrderService,
} from './support/order-service';

const PAYMENT_TIMEOUT_MS = 300;

describe('when the charge fails', () => {
  let service: OrderServiceUnderTest;

  beforeAll(async () => {
    service = await startOrderService({ paymentTimeoutMs: PAYMENT_TIMEOUT_MS });
  });
  afterEach(() => service.reset());
  afterAll(() => service.close());

  const order = { items: [{ sku: 'MUG-BLUE-350', quantity: 1 }] };

  async function storedOrder(customerId: string): Promise<Order> {
    const [row] = await service.ordersOf(customerId);
    expect(row).toBeDefined();
    return orderOf(await service.getOrder(row?.id as string));
  }

  /** A request whose charge failed and could not be undone: the order is left STOCK_RESERVED. */
  async function orderLeftInProgress(): Promise<Order> {
    service.payment.behaviour.charge = 'unavailable';
    service.payment.behaviour.void = 'unavailable';
    const customerId = newCustomer();
    const response = await service.placeOrder({ customerId, ...order });
    expect(response.status).toBe(202);
    const left = await storedOrder(customerId);
    expect(left.status).toBe('STOCK_RESERVED');
    service.recoverDependencies();
    return left;
  }

  it('when payment hangs, then 504 soon after the time limit, the charge is voided, the stock released and the order PAYMENT_FAILED', async () => {
    service.payment.behaviour.charge = 'hang';
    const customerId = newCustomer();
    const started = Date.now();
    const response = await service.placeOrder({ customerId, ...order });

    expect(response.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(PAYMENT_TIMEOUT_MS + 3_000);
    expect(await problemOf(response)).toMatchObject({ code: 'dependency-timeout' });

    const failed = await storedOrder(customerId);
    expect(failed).toMatchObject({ status: 'PAYMENT_FAILED', statusReason: 'payment-unavailable' });
    expect(failed.history.map((entry) => entry.status)).toEqual([
      'PENDING',
      'STOCK_RESERVED',
      'PAYMENT_FAILED',
    ]);
    expect(service.payment.callsTo('void').map((call) => call.path)).toEqual([
      `/payments/${failed.id}/void`,
    ]);
    expect(service.inventory.callsTo('release')).toHaveLength(1);
    expect(service.inventory.callsTo('commit')).toHaveLength(0);
    expect(service.inventory.reservations.get(failed.id)?.status).toBe('RELEASED');
  });

  it('when payment answers 409 payment-in-progress, then 502 dependency-failed and the order PAYMENT_FAILED', async () => {
    service.payment.behaviour.charge = 'in-progress';
    const customerId = newCustomer();
    const response = await service.placeOrder({ customerId, ...order });

    expect(response.status).toBe(502);
    expect(await problemOf(response)).toMatchObject({ code: 'dependency-failed' });
    expect(await storedOrder(customerId)).toMatchObject({
      status: 'PAYMENT_FAILED',
      statusReason: 'payment-unavailable',
    });
    expect(service.payment.callsTo('void')).toHaveLength(1);
    expect(service.inventory.callsTo('release')).toHaveLength(1);
  });

  it('when payment is down and the void fails too, then 202 with the order still STOCK_RESERVED, its stock held, for the recovery job to decide', async () => {
    service.payment.behaviour.charge = 'unavailable';
    service.payment.behaviour.void = 'unavailable';
    const customerId = newCustomer();
    const response = await service.placeOrder({ customerId, ...order });

    expect(response.status).toBe(202);
    const answered = await orderOf(response);
    expect(answered.status).toBe('STOCK_RESERVED');
    expect(response.headers.get('location')).toBe(`/orders/${answered.id}`);
    const left = await storedOrder(customerId);
    expect(left).toEqual(answered);
    expect(service.payment.callsTo('void')).toHaveLength(1);
    // The charge may have gone through, so the stock stays reserved for the recovery job.
    expect(service.inventory.callsTo('release')).toHaveLength(0);
    expect(service.inventory.reservations.get(left.id)?.status).toBe('RESERVED');

    // Finish it so later recovery passes in this file start clean.
    service.recoverDependencies();
    await recoverStaleOrders(service.deps, { afterMs: 0 });
  });

  it('when payment later reports the order CHARGED, then one recovery pass confirms it and commits the stock', async () => {
    const left = await orderLeftInProgress();
    service.payment.payments.set(left.id, service.payment.paymentFor(left.id, 'CHARGED'));

    const report = await recoverStaleOrders(service.deps, { afterMs: 0 });

    expect(report).toEqual({ confirmed: 1, abandoned: 0, left: 0 });
    const recovered = await orderOf(await service.getOrder(left.id));
    expect(recovered.status).toBe('CONFIRMED');
    expect(recovered.history.map((entry) => entry.status)).toEqual([
      'PENDING',
      'STOCK_RESERVED',
      'CONFIRMED',
    ]);
    expect(service.inventory.callsTo('commit').map((call) => call.path)).toEqual([
      `/reservations/${left.id}/commit`,
    ]);
    expect(service.inventory.reservations.get(left.id)?.status).toBe('COMMITTED');
    expect(service.payment.callsTo('void')).toHaveLength(0);
  });

  it('when payment later reports the order CHARGED but its reservation is gone, then the recovery pass voids the charge and marks it PAYMENT_FAILED stock-released', async () => {
    const left = await orderLeftInProgress();
    service.payment.payments.set(left.id, service.payment.paymentFor(left.id, 'CHARGED'));
    // Inventory no longer knows the reservation: commit answers 404 reservation-not-found.
    service.inventory.reservations.delete(left.id);

    const report = await recoverStaleOrders(service.deps, { afterMs: 0 });

    expect(report).toEqual({ confirmed: 0, abandoned: 1, left: 0 });
    const recovered = await orderOf(await service.getOrder(left.id));
    expect(recovered).toMatchObject({ status: 'PAYMENT_FAILED', statusReason: 'stock-released' });
    expect(service.inventory.callsTo('commit')).toHaveLength(1);
    expect(service.payment.payments.get(left.id)?.status).toBe('VOIDED');
  });

  it('when payment later reports no payment, then one recovery pass voids, releases and marks it PAYMENT_FAILED abandoned', async () => {
    const left = await orderLeftInProgress();

    const report = await recoverStaleOrders(service.deps, { afterMs: 0 });

    expect(report).toEqual({ confirmed: 0, abandoned: 1, left: 0 });
    const recovered = await orderOf(await service.getOrder(left.id));
    expect(recovered).toMatchObject({ status: 'PAYMENT_FAILED', statusReason: 'abandoned' });
    expect(service.payment.callsTo('void').map((call) => call.path)).toEqual([
      `/payments/${left.id}/void`,
    ]);
    expect(service.payment.payments.get(left.id)?.status).toBe('VOIDED');
    expect(service.inventory.callsTo('release')).toHaveLength(1);
    expect(service.inventory.reservations.get(left.id)?.status).toBe('RELEASED');
    expect(service.inventory.callsTo('commit')).toHaveLength(0);
  });

  it('when payment is still unreachable, then the recovery pass leaves the order for the next pass', async () => {
    const left = await orderLeftInProgress();
    service.payment.behaviour.lookup = 'drop';

    const report = await recoverStaleOrders(service.deps, { afterMs: 0 });

    expect(report).toEqual({ confirmed: 0, abandoned: 0, left: 1 });
    expect((await orderOf(await service.getOrder(left.id))).status).toBe('STOCK_RESERVED');
    expect(service.payment.callsTo('void')).toHaveLength(0);
    expect(service.inventory.callsTo('release')).toHaveLength(0);

    service.payment.behaviour.lookup = 'normal';
    await recoverStaleOrders(service.deps, { afterMs: 0 });
    expect((await orderOf(await service.getOrder(left.id))).status).toBe('PAYMENT_FAILED');
  });

  it('when an order changed more recently than the recovery delay, then the pass leaves it alone', async () => {
    const left = await orderLeftInProgress();

    const report = await recoverStaleOrders(service.deps, { afterMs: 60_000 });

    expect(report).toEqual({ confirmed: 0, abandoned: 0, left: 0 });
    expect(service.payment.calls).toHaveLength(0);
    expect((await orderOf(await service.getOrder(left.id))).status).toBe('STOCK_RESERVED');
    await recoverStaleOrders(service.deps, { afterMs: 0 });
  });

  it('when the recovery job runs, then it finishes orders left in progress until stopped', async () => {
    const left = await orderLeftInProgress();
    service.payment.payments.set(left.id, service.payment.paymentFor(left.id, 'CHARGED'));

    const job = startOrderRecovery(service.deps, {
      intervalMs: 20,
      afterMs: 0,
      leaseMs: 60_000,
    });
    try {
      const deadline = Date.now() + 5_000;
      let status = left.status;
      while (status !== 'CONFIRMED' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        status = (await orderOf(await service.getOrder(left.id))).status;
      }
      expect(status).toBe('CONFIRMED');
    } finally {
      await job.stop();
    }
    const lookups = service.payment.callsTo('lookup').length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(service.payment.callsTo('lookup')).toHaveLength(lookups);
  });
});
