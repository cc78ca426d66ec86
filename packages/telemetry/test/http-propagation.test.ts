import type { CapturedSpan, OtlpCapture } from '@mesh/otlp-capture';
import { startOtlpCapture } from '@mesh/otlp-capture';
import { Fixture, fastExportEnv } from './support/fixture';

type Ready = { type: string; port: number };

describe('HTTP propagation between an express and a fastify process', () => {
  let capture: OtlpCapture;
  let expressApp: Fixture;
  let fastifyApp: Fixture;
  const url: Record<'express' | 'fastify', string> = { express: '', fastify: '' };

  beforeAll(async () => {
    capture = await startOtlpCapture();
    expressApp = Fixture.start('http-server', {
      FRAMEWORK: 'express',
      OTEL_SERVICE_NAME: 'express-app',
      ...fastExportEnv(capture.url),
    });
    fastifyApp = Fixture.start('http-server', {
      FRAMEWORK: 'fastify',
      OTEL_SERVICE_NAME: 'fastify-app',
      ...fastExportEnv(capture.url),
    });
    url.express = `http://127.0.0.1:${(await expressApp.message<Ready>('ready')).port}`;
    url.fastify = `http://127.0.0.1:${(await fastifyApp.message<Ready>('ready')).port}`;
    expressApp.send({ type: 'peer', url: url.fastify });
    fastifyApp.send({ type: 'peer', url: url.express });
    await Promise.all([expressApp.message('peer-set'), fastifyApp.message('peer-set')]);
  });

  afterAll(async () => {
    await Promise.all([expressApp.stop(), fastifyApp.stop()]);
    await capture.close();
  });

  const spansOf = (traceId: string) => capture.spans().filter((s) => s.traceId === traceId);
  const find = (spans: CapturedSpan[], service: string, kind: CapturedSpan['kind']) =>
    spans.filter((s) => s.serviceName === service && s.kind === kind);

  it.each([
    ['express-app', 'fastify-app', 'express'],
    ['fastify-app', 'express-app', 'fastify'],
  ] as const)(
    'when %s calls %s, then both are one trace and the server span is the child of the client span',
    async (caller, callee, entry) => {
      const response = await fetch(`${url[entry]}/hop`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { traceId: string; peer: { traceId: string } };
      expect(body.peer.traceId).toBe(body.traceId);

      const spans = await capture.waitFor(
        () => {
          const all = spansOf(body.traceId);
          return find(all, callee, 'SERVER').length > 0 && find(all, caller, 'CLIENT').length > 0
            ? all
            : undefined;
        },
        { what: `the ${caller} → ${callee} spans` },
      );
      const [client, ...extraClients] = find(spans, caller, 'CLIENT');
      const [server, ...extraServers] = find(spans, callee, 'SERVER');
      expect(extraClients).toHaveLength(0);
      expect(extraServers).toHaveLength(0);
      expect(server?.parentSpanId).toBe(client?.spanId);
      expect(client?.attributes['http.request.method']).toBe('GET');
      expect(server?.attributes['http.response.status_code']).toBe(200);
      // The caller's entry span is the root of the trace.
      const [root, ...otherRoots] = spans.filter((s) => s.parentSpanId === undefined);
      expect(otherRoots).toHaveLength(0);
      expect(root).toMatchObject({ serviceName: caller, kind: 'SERVER' });
    },
  );

  it('when a health probe is served, then it makes no span', async () => {
    const response = await fetch(`${url.express}/healthz`);
    const traced = await fetch(`${url.express}/leaf`);
    const { traceId } = (await traced.json()) as { traceId: string };
    expect(response.status).toBe(200);
    await capture.waitFor(() => spansOf(traceId).length > 0, { what: 'the /leaf span' });
    expect(capture.spans().filter((s) => s.attributes['url.path'] === '/healthz')).toHaveLength(0);
  });

  describe('malformed traceparent headers', () => {
    const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
    const SPAN = '00f067aa0ba902b7';
    const malformed: [string, string][] = [
      ['version ff', `ff-${TRACE}-${SPAN}-01`],
      ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
      ['all-zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`],
      ['uppercase hex', `00-${TRACE.toUpperCase()}-${SPAN.toUpperCase()}-01`],
      ['short trace id', `00-${TRACE.slice(1)}-${SPAN}-01`],
      ['long span id', `00-${TRACE}-${SPAN}0-01`],
      ['one-digit flags', `00-${TRACE}-${SPAN}-1`],
      ['extra field on version 00', `00-${TRACE}-${SPAN}-01-extra`],
      ['not a traceparent at all', 'hello'],
    ];

    it.each(['express', 'fastify'] as const)(
      'when %s receives each of them, then it answers and starts a new root trace',
      async (framework) => {
        for (const [, header] of malformed) {
          const response = await fetch(`${url[framework]}/leaf`, {
            headers: { traceparent: header },
          });
          expect(response.status).toBe(200);
          const { traceId } = (await response.json()) as { traceId: string };
          expect(traceId).toMatch(/^[0-9a-f]{32}$/);
          expect(traceId).not.toBe(TRACE);
          const server = await capture.waitFor(
            () => spansOf(traceId).find((s) => s.kind === 'SERVER'),
            { what: `the server span for traceparent "${header}"` },
          );
          expect(server.parentSpanId).toBeUndefined();
        }
      },
    );

    it.each(['express', 'fastify'] as const)(
      'when %s receives a valid future version with extra fields, then it keeps the trace id',
      async (framework) => {
        const response = await fetch(`${url[framework]}/leaf`, {
          headers: { traceparent: `cc-${TRACE}-${SPAN}-01-future-fields` },
        });
        const { traceId } = (await response.json()) as { traceId: string };
        expect(traceId).toBe(TRACE);
        const server = await capture.waitFor(
          () =>
            spansOf(TRACE).find((s) => s.kind === 'SERVER' && s.serviceName === `${framework}-app`),
          { what: 'the server span continuing the future-version trace' },
        );
        expect(server.parentSpanId).toBe(SPAN);
      },
    );
  });
});
