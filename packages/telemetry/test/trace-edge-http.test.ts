import { type OtlpCapture, startOtlpCapture } from '@mesh/otlp-capture';
import { Fixture, fastExportEnv } from './support/fixture';

type Ready = { type: string; port: number };

const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const TRUSTED_KEY = 'front-end-key';

describe('an HTTP server at the edge, as a real process', () => {
  let capture: OtlpCapture;
  const servers: Fixture[] = [];
  const url: Record<'express' | 'fastify', string> = { express: '', fastify: '' };

  beforeAll(async () => {
    capture = await startOtlpCapture();
    for (const framework of ['express', 'fastify'] as const) {
      const server = Fixture.start('http-server', {
        FRAMEWORK: framework,
        OTEL_SERVICE_NAME: `${framework}-edge`,
        TRUSTED_API_KEY: TRUSTED_KEY,
        ...fastExportEnv(capture.url),
      });
      servers.push(server);
      url[framework] = `http://127.0.0.1:${(await server.message<Ready>('ready')).port}`;
    }
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await capture.close();
  });

  async function call(framework: 'express' | 'fastify', headers: Record<string, string>) {
    const response = await fetch(`${url[framework]}/leaf`, { headers });
    expect(response.status).toBe(200);
    const { traceId } = (await response.json()) as { traceId: string };
    const server = await capture.waitFor(
      () =>
        capture
          .spans()
          .find(
            (s) =>
              s.traceId === traceId && s.kind === 'SERVER' && s.serviceName === `${framework}-edge`,
          ),
      { what: `the SERVER span of trace ${traceId}` },
    );
    return { traceId, server };
  }

  it.each(['express', 'fastify'] as const)(
    'when %s gets a traceparent from an untrusted caller, flagged not sampled, then it starts its own sampled trace that links to the caller',
    async (framework) => {
      const { traceId, server } = await call(framework, {
        traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-00`,
        'x-api-key': 'someone-else',
      });
      expect(traceId).not.toBe(CLIENT_TRACE);
      expect(server.parentSpanId).toBeUndefined();
      expect(server.links).toEqual([
        expect.objectContaining({ traceId: CLIENT_TRACE, spanId: CLIENT_SPAN }),
      ]);
    },
  );

  it.each(['express', 'fastify'] as const)(
    'when %s gets a traceparent from a trusted caller, then it continues that trace, without a link',
    async (framework) => {
      const { traceId, server } = await call(framework, {
        traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`,
        'x-api-key': TRUSTED_KEY,
      });
      expect(traceId).toBe(CLIENT_TRACE);
      expect(server.parentSpanId).toBe(CLIENT_SPAN);
      expect(server.links).toEqual([]);
    },
  );
});
