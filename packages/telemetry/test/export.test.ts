import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type OtlpCapture, startOtlpCapture } from '@mesh/otlp-capture';
import { Fixture, fastExportEnv } from './support/fixture';

type Ready = { type: string; port: number };

describe('a real process exporting OTLP/JSON to the capture', () => {
  let capture: OtlpCapture;
  let server: Fixture;
  let base: string;

  beforeAll(async () => {
    capture = await startOtlpCapture();
    server = Fixture.start('http-server', {
      FRAMEWORK: 'express',
      OTEL_SERVICE_NAME: 'capture-probe',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      ...fastExportEnv(capture.url),
    });
    base = `http://127.0.0.1:${(await server.message<Ready>('ready')).port}`;
  });
  afterAll(async () => {
    await server.stop();
    await capture.close();
  });

  it('when the process serves a request, then its span, log record and HTTP metric are decoded', async () => {
    const response = await fetch(`${base}/log`);
    const { traceId, spanId } = (await response.json()) as { traceId: string; spanId: string };

    const server = await capture.waitFor(
      () => capture.spans().find((s) => s.traceId === traceId && s.kind === 'SERVER'),
      { what: 'the SERVER span of the request' },
    );
    expect(server).toMatchObject({ serviceName: 'capture-probe', parentSpanId: undefined });
    expect(server.attributes['http.response.status_code']).toBe(200);
    expect(server.endTimeUnixNano).toBeGreaterThan(server.startTimeUnixNano);
    // The handler's span (the one active when it logged) hangs under the SERVER span.
    const handler = await capture.waitFor(() => capture.spans().find((s) => s.spanId === spanId), {
      what: 'the span active in the handler',
    });
    expect(handler.traceId).toBe(traceId);

    const log = await capture.waitFor(
      () => capture.logs().find((l) => l.body === 'handled a request'),
      { what: 'the log record' },
    );
    expect(log).toMatchObject({ traceId, spanId, severityText: 'info' });

    const duration = await capture.waitFor(
      () => capture.metrics().find((m) => m.name === 'http.server.request.duration'),
      { what: 'the http.server.request.duration histogram' },
    );
    expect(duration.type).toBe('histogram');
    if (duration.type !== 'histogram') return;
    expect(duration.dataPoints.some((point) => point.count > 0)).toBe(true);
  });
});

// Services in compose set no protocol, so they export with the OTLP default, http/protobuf. The
// SDK builds those exporters from its own dependencies; this checks they are really there.
describe('a real process with no OTLP protocol configured', () => {
  let receiver: Server;
  let server: Fixture;
  const received: { path: string; contentType: string }[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      received.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '' });
      req.resume();
      req.on('end', () => {
        // An empty protobuf message: everything accepted.
        res.writeHead(200, { 'Content-Type': 'application/x-protobuf' });
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.address() as AddressInfo;
    server = Fixture.start('http-server', {
      FRAMEWORK: 'express',
      ...fastExportEnv(`http://127.0.0.1:${port}`),
      OTEL_EXPORTER_OTLP_PROTOCOL: undefined,
    });
    await server.message<Ready>('ready');
  });
  afterAll(async () => {
    await server.stop();
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('when it serves a request, then traces, logs and metrics are exported as OTLP/protobuf', async () => {
    const ready = await server.message<Ready>('ready');
    await fetch(`http://127.0.0.1:${ready.port}/log`);
    const deadline = Date.now() + 10_000;
    const paths = () => new Set(received.map((r) => r.path));
    while (paths().size < 3 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect([...paths()].sort()).toEqual(['/v1/logs', '/v1/metrics', '/v1/traces']);
    expect(new Set(received.map((r) => r.contentType))).toEqual(
      new Set(['application/x-protobuf']),
    );
  });
});
