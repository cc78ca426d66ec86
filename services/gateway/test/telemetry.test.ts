import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type Faults, startFaults } from '@mesh/service-kit';
import { createLogger } from '@mesh/telemetry';
import { startInMemoryTelemetry } from '@mesh/telemetry-testing';
import {
  eventually,
  type FakeService,
  flagFileCopy,
  problem,
  startRedis,
  type TestRedis,
} from '@mesh/testkit';
import { API_KEY } from './support/api-keys';
import { startFakeInventory, startFakeOrder } from './support/fakes';
import type { TestGateway } from './support/gateway';

// Before the gateway's modules are loaded (below, in beforeAll): meters taken earlier would stay
// no-ops. It captures our spans and @fastify/otel's request and handler spans, which it wires
// through diagnostics channels rather than require hooks. Those are framework spans, off in
// services by default, where the http SERVER span carries what they carry here; jest makes no
// SERVER span, so they stand in for it.
// The only test file that starts telemetry: the SDK's shutdown leaves @fastify/otel subscribed,
// and a second file in the same jest worker would add its fastify plugin twice.
const telemetry = startInMemoryTelemetry({ frameworkSpans: true });
afterAll(() => telemetry.shutdown());

describe('what the gateway puts on its spans', () => {
  let redis: TestRedis;
  let order: FakeService;
  let inventory: FakeService;
  let gateway: TestGateway;

  const withKey = { 'x-api-key': API_KEY };

  beforeAll(async () => {
    [redis, order, inventory] = await Promise.all([
      startRedis(),
      startFakeOrder(),
      startFakeInventory(),
    ]);
    const { startGateway }: typeof import('./support/gateway') = require('./support/gateway');
    gateway = await startGateway({
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redis.keyPrefix,
      ORDER_URL: order.url,
      INVENTORY_URL: inventory.url,
    });
  });
  afterEach(() => telemetry.reset());
  afterAll(async () => {
    await gateway.close();
    await Promise.all([order.stop(), inventory.stop(), redis.stop()]);
  });

  it('when an order is placed, then the span of the request carries its id and status', async () => {
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: withKey,
      payload: { customerId: 'cust-42', items: [{ sku: 'MUG-BLUE-350', quantity: 1 }] },
    });
    const { id } = response.json();

    const tagged = (await telemetry.spans()).filter((s) => s.attributes['mesh.order.id'] === id);
    expect(tagged).toHaveLength(1);
    expect(tagged[0]?.attributes['mesh.order.status']).toBe('CONFIRMED');
    // The span belongs to the trace the response names.
    expect(tagged[0]?.spanContext().traceId).toBe(response.headers['x-trace-id']);
  });

  it('when a GET is retried, then each retry is an event on the request span, with its reason', async () => {
    inventory.failNext(2, problem(503, 'not-ready'));

    const response = await gateway.app.inject({ url: '/api/products', headers: withKey });

    expect(response.statusCode).toBe(200);
    const retried = (await telemetry.spans()).filter((span) =>
      span.events.some((event) => event.name === 'upstream retry'),
    );
    expect(retried).toHaveLength(1);
    expect(retried[0]?.spanContext().traceId).toBe(response.headers['x-trace-id']);
    expect(retried[0]?.events.map((event) => event.attributes)).toEqual([
      expect.objectContaining({
        'mesh.upstream': 'inventory',
        'mesh.retry.attempt': 1,
        'error.type': 'dependency-unavailable',
      }),
      expect.objectContaining({ 'mesh.retry.attempt': 2 }),
    ]);
    const retries = (await telemetry.collectMetrics())
      .flatMap((resource) => resource.scopeMetrics)
      .flatMap((scope) => scope.metrics)
      .find((metric) => metric.descriptor.name === 'mesh.gateway.upstream.retries');
    expect(retries?.dataPoints).toEqual([
      expect.objectContaining({
        attributes: { 'mesh.upstream': 'inventory', 'error.type': 'dependency-unavailable' },
        value: 2,
      }),
    ]);
  });
});

/*
 * The gateway-memory-leak fault as a learner finds it: switched in the flag file while the
 * gateway serves, then seen in the runtime instrumentation's heap metric (v8js.memory.heap.used,
 * summed over the heap spaces). Each reading follows a full garbage collection, so it counts
 * what is still referenced, not garbage waiting to be collected.
 */
describe('the gateway-memory-leak fault, in the heap metric', () => {
  setFlagsFromString('--expose-gc');
  const collectGarbage = runInNewContext('gc') as () => void;
  const MiB = 1024 * 1024;
  const flags = flagFileCopy();
  let faults: Faults;
  let redis: TestRedis;
  let inventory: FakeService;
  let gateway: TestGateway;

  beforeAll(async () => {
    [redis, inventory] = await Promise.all([startRedis(), startFakeInventory()]);
    faults = await startFaults({ file: flags.file, logger: createLogger({ level: 'silent' }) });
    const { startGateway }: typeof import('./support/gateway') = require('./support/gateway');
    gateway = await startGateway(
      {
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: redis.keyPrefix,
        INVENTORY_URL: inventory.url,
        RATE_LIMIT_MAX: '100000',
      },
      { faults },
    );
  });
  afterAll(async () => {
    await gateway.close();
    await faults.close();
    await Promise.all([inventory.stop(), redis.stop()]);
  });

  async function browse(requests: number) {
    for (let sent = 0; sent < requests; sent++) {
      const response = await gateway.app.inject({
        url: '/api/products',
        headers: { 'x-api-key': API_KEY },
      });
      expect(response.statusCode).toBe(200);
    }
  }

  async function heapUsed(): Promise<number> {
    collectGarbage();
    const heap = (await telemetry.collectMetrics())
      .flatMap((resource) => resource.scopeMetrics)
      .flatMap((scope) => scope.metrics)
      .find((metric) => metric.descriptor.name === 'v8js.memory.heap.used');
    const spaces = (heap?.dataPoints ?? []) as { value: number }[];
    expect(spaces.length).toBeGreaterThan(0);
    return spaces.reduce((sum, space) => sum + space.value, 0);
  }

  const leakIs = (on: boolean) =>
    eventually(
      async () => ((await faults.on('gateway-memory-leak')) === on ? true : undefined),
      `the memory leak fault to be ${on ? 'on' : 'off'}`,
    );

  it('when it is switched on, then 200 requests keep about 20 MiB on the heap, given back once it is off', async () => {
    await browse(50);
    const before = await heapUsed();

    flags.switchTo('gateway-memory-leak', 'on');
    await leakIs(true);
    await browse(200);
    const leaking = await heapUsed();
    expect((leaking - before) / MiB).toBeGreaterThan(15);

    flags.switchTo('gateway-memory-leak', null);
    await leakIs(false);
    await browse(1);
    const after = await heapUsed();
    expect((after - before) / MiB).toBeLessThan(5);
  }, 60_000);
});
