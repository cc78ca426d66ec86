import { createServer } from 'node:net';
import { type OtlpCapture, startOtlpCapture } from '@mesh/otlp-capture';
import { Fixture } from './support/fixture';

type Ready = { type: string; port: number };
type Shutdown = { type: string; flushed: boolean; timedOut: boolean; elapsedMs: number };

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function slowestOf(url: string, requests: number): Promise<number> {
  let slowest = 0;
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    const response = await fetch(url);
    await response.arrayBuffer();
    expect(response.status).toBe(200);
    slowest = Math.max(slowest, performance.now() - started);
  }
  return slowest;
}

// A sick collector must cost the application nothing: requests keep their latency, memory stays
// bounded and shutdown keeps its time limit. Each case runs a real server process whose OTLP
// exporters point at the sick collector, with export batches small and frequent so exports are
// attempted (and failing) all through the requests.
describe.each(['unreachable', 'unavailable', 'hang'] as const)(
  'when the collector is %s',
  (sickness) => {
    let capture: OtlpCapture;
    let server: Fixture;
    let base: string;

    beforeAll(async () => {
      capture = await startOtlpCapture();
      const endpoint =
        sickness === 'unreachable' ? `http://127.0.0.1:${await closedPort()}` : capture.url;
      if (sickness !== 'unreachable') capture.respondWith(sickness);
      server = Fixture.start(
        'http-server',
        {
          FRAMEWORK: 'express',
          OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
          OTEL_BSP_SCHEDULE_DELAY: '50',
          OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '64',
          OTEL_BLRP_SCHEDULE_DELAY: '50',
          OTEL_METRIC_EXPORT_INTERVAL: '200',
          SHUTDOWN_TIMEOUT_MS: '1000',
        },
        ['--expose-gc'],
      );
      base = `http://127.0.0.1:${(await server.message<Ready>('ready')).port}`;
    });
    afterAll(async () => {
      await server.stop('SIGKILL');
      await capture.close();
    });

    it('then requests are served without waiting for the exporter', async () => {
      // An exporter on the request path would cost its timeout (seconds) per request.
      expect(await slowestOf(`${base}/log`, 200)).toBeLessThan(1_000);
      if (sickness !== 'unreachable') {
        await capture.waitFor(() => capture.requestCount().traces > 0, {
          what: 'an export attempt',
        });
      }
    });

    it('then memory stays bounded while spans cannot be delivered', async () => {
      const heap = async () =>
        ((await (await fetch(`${base}/memory`)).json()) as { heapUsed: number }).heapUsed;
      await slowestOf(`${base}/log`, 300);
      const before = await heap();
      await slowestOf(`${base}/log`, 3_000);
      const after = await heap();
      // 3,000 more requests make ~9,000 spans and 3,000 log records. Kept, they would hold tens of
      // megabytes; the SDK's bounded queues (2,048 entries) keep growth to a few.
      expect(after - before).toBeLessThan(12 * 1024 * 1024);
    }, 120_000);

    it('then shutdown returns within its own limit and the process exits cleanly', async () => {
      await fetch(`${base}/log`);
      const exit = server.stop('SIGTERM');
      const shutdown = await server.message<Shutdown>('shutdown');
      expect(shutdown.elapsedMs).toBeLessThan(2_500);
      await expect(exit).resolves.toEqual({ code: 0, signal: null });
    });
  },
);
