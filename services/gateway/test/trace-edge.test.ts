import { type ChildProcess, spawn } from 'node:child_process';
import { type IncomingHttpHeaders, request } from 'node:http';
import { join } from 'node:path';
import { type OtlpCapture, startOtlpCapture } from '@mesh/otlp-capture';
import { eventually, type FakeService, freePort, startRedis, type TestRedis } from '@mesh/testkit';
import { startFakeInventory, startFakeOrder } from './support/fakes';

const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const TRUSTED_KEY = 'storefront-key';
const UNTRUSTED_KEY = 'partner-key';
const ORDER = { customerId: 'c-1', items: [{ sku: 'MUG-BLUE-350', quantity: 1 }] };

const traceparent = (flags: string) => `00-${CLIENT_TRACE}-${CLIENT_SPAN}-${flags}`;

/**
 * A request exactly as given, through node:http: in a jest worker where another test file ran
 * the SDK, fetch stays instrumented and would add a traceparent of its own.
 */
function send(
  url: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const outgoing = request(
      url,
      {
        method: payload === undefined ? 'GET' : 'POST',
        headers:
          payload === undefined ? headers : { 'content-type': 'application/json', ...headers },
      },
      (response) => {
        response.resume();
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

/**
 * The gateway as a real process with the telemetry preload, as `pnpm start` runs it (from its
 * sources): only there does the http instrumentation start the server span from the headers.
 */
describe('trace context from outside the gateway', () => {
  let redis: TestRedis;
  let order: FakeService;
  let inventory: FakeService;
  let capture: OtlpCapture;
  let gateway: ChildProcess;
  let gatewayUrl: string;
  const output: string[] = [];

  beforeAll(async () => {
    [redis, order, inventory, capture] = await Promise.all([
      startRedis(),
      startFakeOrder(),
      startFakeInventory(),
      startOtlpCapture(),
    ]);
    const port = await freePort();
    gatewayUrl = `http://127.0.0.1:${port}`;
    gateway = spawn(
      process.execPath,
      ['--require', '@mesh/telemetry/register', '--import', 'tsx', 'src/main.ts'],
      {
        cwd: join(__dirname, '..'),
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          PORT: String(port),
          LOG_LEVEL: 'warn',
          REDIS_URL: redis.url,
          REDIS_KEY_PREFIX: redis.keyPrefix,
          ORDER_URL: order.url,
          INVENTORY_URL: inventory.url,
          API_KEYS: `${TRUSTED_KEY},${UNTRUSTED_KEY}`,
          TRACE_TRUSTED_API_KEYS: TRUSTED_KEY,
          TRACE_BAGGAGE_KEYS: 'session.id,mesh.campaign,mesh.ab',
          TRACE_BAGGAGE_MAX_ENTRIES: '2',
          OTEL_SERVICE_NAME: 'gateway',
          OTEL_EXPORTER_OTLP_ENDPOINT: capture.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_BSP_SCHEDULE_DELAY: '100',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    gateway.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    gateway.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    await eventually(
      async () => {
        if (gateway.exitCode !== null) throw new Error(`gateway exited:\n${output.join('')}`);
        const ready = await send(`${gatewayUrl}/readyz`, {}).catch(() => undefined);
        return ready?.status === 200 ? true : undefined;
      },
      'the gateway to be ready',
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  }, 60_000);

  afterAll(async () => {
    if (gateway && gateway.exitCode === null) {
      const exited = new Promise((resolve) => gateway.once('exit', resolve));
      gateway.kill('SIGTERM');
      await exited;
    }
    await Promise.all([order?.stop(), inventory?.stop(), redis?.stop(), capture?.close()]);
  });

  /** Places an order with these headers; returns the answer's trace id and what order received. */
  async function placeOrder(headers: Record<string, string>) {
    const before = order.callsTo('POST', '/orders').length;
    const response = await send(`${gatewayUrl}/api/orders`, headers, ORDER);
    expect(response.status).toBe(201);
    const received = order.callsTo('POST', '/orders')[before];
    return { traceId: String(response.headers['x-trace-id']), received: received?.headers ?? {} };
  }

  const serverSpanOf = (traceId: string) =>
    capture.waitFor(
      () =>
        capture
          .spans()
          .find((s) => s.traceId === traceId && s.kind === 'SERVER' && s.serviceName === 'gateway'),
      { what: `the gateway's SERVER span in trace ${traceId}` },
    );

  it('when a caller with an untrusted key sends a traceparent, then the gateway starts its own trace, linked to the caller', async () => {
    const { traceId, received } = await placeOrder({
      'x-api-key': UNTRUSTED_KEY,
      traceparent: traceparent('01'),
    });
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toBe(CLIENT_TRACE);
    expect(received.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    const server = await serverSpanOf(traceId);
    expect(server.parentSpanId).toBeUndefined();
    expect(server.links).toEqual([{ traceId: CLIENT_TRACE, spanId: CLIENT_SPAN }]);
  });

  it('when an untrusted caller flags its trace "not sampled", then Mesh samples it anyway', async () => {
    const { traceId, received } = await placeOrder({
      'x-api-key': UNTRUSTED_KEY,
      traceparent: traceparent('00'),
    });
    expect(traceId).not.toBe(CLIENT_TRACE);
    // Sampled (flags 01) on the way to order, and exported.
    expect(received.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    await expect(serverSpanOf(traceId)).resolves.toMatchObject({ traceId });
  });

  it('when a request without a key carries a traceparent, then its refusal is traced in a trace of its own', async () => {
    const response = await send(`${gatewayUrl}/api/orders/42`, {
      traceparent: traceparent('01'),
    });
    expect(response.status).toBe(401);
    const traceId = String(response.headers['x-trace-id']);
    expect(traceId).not.toBe(CLIENT_TRACE);
    const server = await serverSpanOf(traceId);
    expect(server.links).toEqual([{ traceId: CLIENT_TRACE, spanId: CLIENT_SPAN }]);
  });

  it('when an untrusted caller sends baggage, then nothing of it reaches order', async () => {
    const { received } = await placeOrder({
      'x-api-key': UNTRUSTED_KEY,
      traceparent: traceparent('01'),
      baggage: 'session.id=s-1,mesh.campaign=spring',
    });
    expect(received.baggage).toBeUndefined();
  });

  it('when a trusted caller sends a traceparent, then its trace is continued, and its sampled flag followed', async () => {
    const sampled = await placeOrder({ 'x-api-key': TRUSTED_KEY, traceparent: traceparent('01') });
    expect(sampled.traceId).toBe(CLIENT_TRACE);
    expect(sampled.received.traceparent).toMatch(
      new RegExp(`^00-${CLIENT_TRACE}-[0-9a-f]{16}-01$`),
    );
    const server = await serverSpanOf(CLIENT_TRACE);
    expect(server.parentSpanId).toBe(CLIENT_SPAN);
    expect(server.links).toEqual([]);

    const notSampled = await placeOrder({
      'x-api-key': TRUSTED_KEY,
      traceparent: traceparent('00'),
    });
    expect(notSampled.received.traceparent).toMatch(
      new RegExp(`^00-${CLIENT_TRACE}-[0-9a-f]{16}-00$`),
    );
  });

  it('when a trusted caller sends baggage, then order gets only the allow-listed entries, within the caps', async () => {
    const send = async (baggage: string) =>
      (await placeOrder({ 'x-api-key': TRUSTED_KEY, traceparent: traceparent('01'), baggage }))
        .received.baggage;
    // an unknown key is dropped; of three allow-listed entries only the first two (the cap)
    await expect(send('customer=c-42,session.id=s-1,mesh.ab=b,mesh.campaign=spring')).resolves.toBe(
      'session.id=s-1,mesh.ab=b',
    );
    // an allow-listed entry over 1 KiB is dropped, the next one that fits is kept
    await expect(send(`mesh.campaign=${'x'.repeat(1_100)},session.id=s-1`)).resolves.toBe(
      'session.id=s-1',
    );
    // nothing allow-listed: no baggage header at all
    await expect(send('customer=c-42')).resolves.toBeUndefined();
  });
});
