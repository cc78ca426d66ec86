import { type OtlpCapture, startOtlpCapture } from '../src/testing';
import { Fixture, fastExportEnv } from './support/fixture';

type Ready = { type: string; port: number };

// The capture receiver stands in for the collector in end-to-end tests, so it must understand
// both encodings OTLP/HTTP allows. A real server process exports to it with each one.
describe.each(['http/protobuf', 'http/json'])(
  'OTLP capture receiving %s from a real process',
  (protocol) => {
    let capture: OtlpCapture;
    let server: Fixture;
    let base: string;

    beforeAll(async () => {
      capture = await startOtlpCapture();
      server = Fixture.start('http-server', {
        FRAMEWORK: 'express',
        OTEL_SERVICE_NAME: 'capture-probe',
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
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
      const handler = await capture.waitFor(
        () => capture.spans().find((s) => s.spanId === spanId),
        { what: 'the span active in the handler' },
      );
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
  },
);

describe('OTLP capture refusing what is not OTLP', () => {
  let capture: OtlpCapture;
  beforeAll(async () => {
    capture = await startOtlpCapture();
  });
  afterAll(() => capture.close());

  it('when a body does not decode, then it answers 400 and stores nothing', async () => {
    const response = await fetch(`${capture.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"resourceSpans": "not a list"}',
    });
    expect(response.status).toBe(400);
    expect(capture.spans()).toHaveLength(0);
  });

  it('when the content type is neither protobuf nor JSON, then it answers 415', async () => {
    const response = await fetch(`${capture.url}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(response.status).toBe(415);
  });

  it('when the path is not an OTLP path, then it answers 404', async () => {
    expect((await fetch(`${capture.url}/v1/profiles`, { method: 'POST' })).status).toBe(404);
  });
});
