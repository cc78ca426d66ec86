import { gzipSync } from 'node:zlib';
import { type OtlpCapture, startOtlpCapture } from '../src';

const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const SPAN_ID = 'eee19b7ec3c1b174';
const PARENT_ID = 'eee19b7ec3c1b173';
const LINKED_TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const LINKED_SPAN_ID = 'b7ad6b7169203331';

/** One resource with one scope holding `items`, the nesting every OTLP export request has. */
function exportOf(signal: 'Spans' | 'Logs' | 'Metrics', items: unknown[]) {
  const itemKey = signal === 'Logs' ? 'logRecords' : signal.toLowerCase();
  return {
    [`resource${signal}`]: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
        [`scope${signal}`]: [{ scope: { name: 'test' }, [itemKey]: items }],
      },
    ],
  };
}

async function post(
  capture: OtlpCapture,
  path: string,
  body: string | Uint8Array,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<{ status: number; text: string }> {
  const response = await fetch(`${capture.url}${path}`, { method: 'POST', headers, body });
  return { status: response.status, text: await response.text() };
}

describe('OTLP capture reading OTLP/JSON', () => {
  let capture: OtlpCapture;
  beforeAll(async () => {
    capture = await startOtlpCapture();
  });
  afterAll(() => capture.close());

  it('when a span arrives, then its ids, kind, times, attributes, status and links are decoded', async () => {
    const span = {
      traceId: TRACE_ID.toUpperCase(),
      spanId: SPAN_ID,
      parentSpanId: PARENT_ID,
      name: 'GET /orders/:id',
      kind: 2,
      // int64 as the collector sends it (a string) and as OpenTelemetry JS sends it (a number)
      startTimeUnixNano: '1700000000000000000',
      endTimeUnixNano: 1700000000500000000,
      attributes: [
        { key: 'http.response.status_code', value: { intValue: '200' } },
        { key: 'http.route', value: { stringValue: '/orders/:id' } },
        { key: 'mesh.retry', value: { boolValue: false } },
        { key: 'mesh.ratio', value: { doubleValue: 0.25 } },
        {
          key: 'http.request.header.accept',
          value: { arrayValue: { values: [{ stringValue: 'application/json' }] } },
        },
        {
          key: 'mesh.order',
          value: { kvlistValue: { values: [{ key: 'id', value: { stringValue: 'o-1' } }] } },
        },
        { key: 'mesh.empty', value: {} },
      ],
      status: { code: 2, message: 'payment declined' },
      links: [{ traceId: LINKED_TRACE_ID, spanId: LINKED_SPAN_ID }],
    };
    expect(
      (await post(capture, '/v1/traces', JSON.stringify(exportOf('Spans', [span])))).status,
    ).toBe(200);

    expect(capture.spans()).toEqual([
      {
        serviceName: 'checkout',
        traceId: TRACE_ID,
        spanId: SPAN_ID,
        parentSpanId: PARENT_ID,
        name: 'GET /orders/:id',
        kind: 'SERVER',
        startTimeUnixNano: 1700000000000000000n,
        endTimeUnixNano: 1700000000500000000n,
        attributes: {
          'http.response.status_code': 200,
          'http.route': '/orders/:id',
          'mesh.retry': false,
          'mesh.ratio': 0.25,
          'http.request.header.accept': ['application/json'],
          'mesh.order': { id: 'o-1' },
          'mesh.empty': null,
        },
        status: { code: 'ERROR' },
        links: [{ traceId: LINKED_TRACE_ID, spanId: LINKED_SPAN_ID }],
      },
    ]);
  });

  it('when a gzipped export of log records arrives, then the records are decoded, with trace ids only where a span was active', async () => {
    const inSpan = {
      severityText: 'info',
      body: { stringValue: 'order placed' },
      attributes: [{ key: 'mesh.order.id', value: { stringValue: 'o-1' } }],
      traceId: TRACE_ID,
      spanId: SPAN_ID,
    };
    const outside = { severityText: 'warn', traceId: '', spanId: '' };
    const body = gzipSync(JSON.stringify(exportOf('Logs', [inSpan, outside])));
    const answer = await post(capture, '/v1/logs', body, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(answer.status).toBe(200);

    expect(capture.logs()).toEqual([
      {
        serviceName: 'checkout',
        severityText: 'info',
        body: 'order placed',
        attributes: { 'mesh.order.id': 'o-1' },
        traceId: TRACE_ID,
        spanId: SPAN_ID,
      },
      {
        serviceName: 'checkout',
        severityText: 'warn',
        body: undefined,
        attributes: {},
        traceId: undefined,
        spanId: undefined,
      },
    ]);
  });

  it('when gauges, sums and histograms arrive, then their points are decoded and other kinds are skipped', async () => {
    const attributes = [{ key: 'http.route', value: { stringValue: '/orders' } }];
    const metrics = [
      { name: 'mesh.inventory.stock', gauge: { dataPoints: [{ attributes, asDouble: 12.5 }] } },
      { name: 'mesh.orders', sum: { dataPoints: [{ attributes, asInt: '3' }] } },
      {
        name: 'http.server.request.duration',
        histogram: { dataPoints: [{ attributes, count: '4' }] },
      },
      { name: 'elsewhere', summary: { dataPoints: [{ count: 1 }] } },
    ];
    expect(
      (await post(capture, '/v1/metrics', JSON.stringify(exportOf('Metrics', metrics)))).status,
    ).toBe(200);

    const route = { 'http.route': '/orders' };
    expect(capture.metrics()).toEqual([
      {
        serviceName: 'checkout',
        name: 'mesh.inventory.stock',
        type: 'gauge',
        dataPoints: [{ attributes: route, value: 12.5 }],
      },
      {
        serviceName: 'checkout',
        name: 'mesh.orders',
        type: 'sum',
        dataPoints: [{ attributes: route, value: 3 }],
      },
      {
        serviceName: 'checkout',
        name: 'http.server.request.duration',
        type: 'histogram',
        dataPoints: [{ attributes: route, count: 4 }],
      },
    ]);
    expect(capture.requestCount()).toEqual({ traces: 1, logs: 1, metrics: 1 });
  });

  it('when a wait runs out, then the error names what was awaited and what did arrive', async () => {
    await expect(
      capture.waitFor(() => capture.spans().find((s) => s.name === 'never'), {
        timeoutMs: 50,
        what: 'the span "never"',
      }),
    ).rejects.toThrow(
      /waiting for the span "never"\.\nCaptured 1 span, 2 log records, 3 metrics .*\n {2}spans of checkout: GET \/orders\/:id/,
    );
  });
});

describe('OTLP capture refusing what it does not read', () => {
  let capture: OtlpCapture;
  beforeAll(async () => {
    capture = await startOtlpCapture();
  });
  afterAll(() => capture.close());

  it('when a body does not decode, then it answers 400 and stores nothing', async () => {
    for (const body of [
      '{"resourceSpans": "not a list"}',
      '{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "abc"}]}]}]}',
      'not json',
    ]) {
      expect(await post(capture, '/v1/traces', body)).toMatchObject({ status: 400 });
    }
    expect(capture.spans()).toHaveLength(0);
  });

  it('when an export is OTLP/protobuf, then it answers 415 and says to export OTLP/JSON', async () => {
    const answer = await post(capture, '/v1/traces', new Uint8Array([0x0a, 0x00]), {
      'content-type': 'application/x-protobuf',
    });
    expect(answer.status).toBe(415);
    expect(answer.text).toContain('OTEL_EXPORTER_OTLP_PROTOCOL=http/json');
  });

  it('when the content type is not JSON, then it answers 415', async () => {
    const answer = await post(capture, '/v1/logs', 'hello', { 'content-type': 'text/plain' });
    expect(answer.status).toBe(415);
  });

  it('when the path is not an OTLP path, then it answers 404', async () => {
    expect((await post(capture, '/v1/profiles', '{}')).status).toBe(404);
  });
});

describe('OTLP capture playing a sick collector', () => {
  let capture: OtlpCapture;
  beforeEach(async () => {
    capture = await startOtlpCapture();
  });
  afterEach(() => capture.close());

  it('when it is unavailable, then exports get 503 and are counted but not stored, until it is ok again', async () => {
    const body = JSON.stringify(exportOf('Spans', [{ traceId: TRACE_ID, spanId: SPAN_ID }]));
    capture.respondWith('unavailable');
    expect((await post(capture, '/v1/traces', body)).status).toBe(503);
    expect(capture.spans()).toHaveLength(0);
    capture.respondWith('ok');
    expect((await post(capture, '/v1/traces', body)).status).toBe(200);
    expect(capture.spans()).toHaveLength(1);
    expect(capture.requestCount().traces).toBe(2);
  });

  it('when it hangs, then an export gets no answer until the capture closes', async () => {
    capture.respondWith('hang');
    const answer = post(capture, '/v1/traces', '{}').then(
      () => 'answered',
      () => 'connection dropped',
    );
    await capture.waitFor(() => capture.requestCount().traces === 1, { what: 'the request' });
    const early = await Promise.race([
      answer,
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 300)),
    ]);
    expect(early).toBe('still waiting');
    await capture.close();
    await expect(answer).resolves.toBe('connection dropped');
  });
});

describe('OTLP capture answering a browser', () => {
  const WEB_APP = 'http://127.0.0.1:8090';
  let capture: OtlpCapture;
  beforeAll(async () => {
    capture = await startOtlpCapture({ corsOrigin: WEB_APP });
  });
  afterAll(() => capture.close());

  const preflight = (origin: string) =>
    fetch(`${capture.url}/v1/traces`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });

  it('when the allowed origin asks, then its preflight and its export are allowed', async () => {
    const allowed = await preflight(WEB_APP);
    const exported = await post(capture, '/v1/traces', JSON.stringify(exportOf('Spans', [])), {
      'content-type': 'application/json',
      origin: WEB_APP,
    });

    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(WEB_APP);
    expect(allowed.headers.get('access-control-allow-methods')).toBe('POST');
    expect(allowed.headers.get('access-control-allow-headers')).toBe('content-type');
    expect(exported.status).toBe(200);
  });

  it('when another origin asks, then it gets no CORS header', async () => {
    const refused = await preflight('http://127.0.0.1:9999');

    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });
});
