import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Order } from '@mesh/contracts';
import {
  createPool,
  type Faults,
  migrate,
  noFaults,
  type Pool,
  ServiceClient,
} from '@mesh/service-kit';
import { createLogger } from '@mesh/telemetry';
import { startPostgres, type TestPostgres } from '@mesh/testkit';
import { metrics } from '@opentelemetry/api';
import { buildApp } from '../../src/app';
import { DB_SCHEMA, MIGRATIONS_DIR } from '../../src/config';
import type { OrderDependencies } from '../../src/domain/dependencies';
import { createOrderMetrics } from '../../src/metrics';
import {
  type FakeInventory,
  type FakePayment,
  startFakeInventory,
  startFakePayment,
} from './fakes';

export interface OrderServiceUnderTest {
  url: string;
  /** The service's database, e.g. for a second pool that watches it. */
  databaseUrl: string;
  pool: Pool;
  deps: OrderDependencies;
  inventory: FakeInventory;
  payment: FakePayment;
  placeOrder(body: unknown, headers?: Record<string, string>): Promise<Response>;
  getOrder(id: string): Promise<Response>;
  /** Orders of one customer, as stored. */
  ordersOf(customerId: string): Promise<{ id: string; status: string; status_reason: string }[]>;
  /** Between tests: fakes back to their start, with no calls recorded. */
  reset(): void;
  /** Fakes answer normally again, with no calls recorded, keeping their payments and stock. */
  recoverDependencies(): void;
  close(): Promise<void>;
}

/**
 * The order service as main.ts wires it, on a fresh PostgreSQL database, with fake inventory
 * and payment services, listening on 127.0.0.1:0.
 */
export async function startOrderService(
  settings: { paymentTimeoutMs?: number; inventoryTimeoutMs?: number; faults?: Faults } = {},
): Promise<OrderServiceUnderTest> {
  const logger = createLogger({ name: 'order', level: 'silent' });
  const postgres: TestPostgres = await startPostgres();
  await migrate({ databaseUrl: postgres.url, schema: DB_SCHEMA, dir: MIGRATIONS_DIR, logger });
  const pool = createPool(postgres.url, {
    applicationName: 'order-test',
    schema: DB_SCHEMA,
    logger,
  });
  const [inventory, payment] = await Promise.all([startFakeInventory(), startFakePayment()]);
  const deps: OrderDependencies = {
    pool,
    logger,
    // No relay unless a test starts one and points `deps.outbox.wake` at it.
    outbox: { wake: () => {} },
    // Taken now, after a test file registered its in-memory telemetry.
    metrics: createOrderMetrics(metrics.getMeter('@mesh/order')),
    faults: settings.faults ?? noFaults,
    inventory: new ServiceClient({
      name: 'inventory',
      baseUrl: inventory.url,
      timeoutMs: settings.inventoryTimeoutMs ?? 2_000,
    }),
    payment: new ServiceClient({
      name: 'payment',
      baseUrl: payment.url,
      timeoutMs: settings.paymentTimeoutMs ?? 5_000,
    }),
  };
  const server: Server = buildApp({ ...deps, bodyLimitBytes: 16_384 }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    databaseUrl: postgres.url,
    pool,
    deps,
    inventory,
    payment,
    placeOrder: (body, headers = {}) =>
      fetch(`${url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    getOrder: (id) => fetch(`${url}/orders/${id}`),
    ordersOf: async (customerId) =>
      (
        await pool.query(
          'SELECT id, status, status_reason FROM orders WHERE customer_id = $1 ORDER BY created_at',
          [customerId],
        )
      ).rows,
    reset() {
      inventory.reset();
      payment.reset();
    },
    recoverDependencies() {
      inventory.recover();
      payment.recover();
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await Promise.all([inventory.close(), payment.close()]);
      await pool.end();
      await postgres.stop();
    },
  };
}

/** The problem document of a response, after checking it is one. */
export async function problemOf(response: Response): Promise<Record<string, unknown>> {
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return (await response.json()) as Record<string, unknown>;
}

export async function orderOf(response: Response): Promise<Order> {
  return (await response.json()) as Order;
}

/** Each test its own customer, so rows of other tests never get in the way. */
let customers = 0;
export function newCustomer(): string {
  customers += 1;
  return `customer-${customers}-${Date.now().toString(36)}`;
}
