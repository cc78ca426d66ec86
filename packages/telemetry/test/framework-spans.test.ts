import { type CapturedSpan, type OtlpCapture, startOtlpCapture } from '@mesh/otlp-capture';
import { startPostgres, type TestPostgres } from '@mesh/testkit';
import { frameworkSpansWanted } from '../src/instrumentations';
import { Fixture, fastExportEnv } from './support/fixture';

type Ready = { type: string; port: number };
type Seen = { traceId: string; spanId: string };

const FRAMEWORKS = ['express', 'fastify'] as const;

/** The frameworks' own spans, as each names them. */
function isFrameworkSpan(span: CapturedSpan): boolean {
  return (
    span.name === 'request' ||
    /^(middleware|router|request handler|handler|onRequest|preParsing)( |$)/.test(span.name)
  );
}

describe.each([
  ['unset', undefined],
  ['false', 'false'],
  ['true', 'true'],
])('with MESH_TRACE_FRAMEWORK_SPANS %s', (_label, setting) => {
  const frameworkSpans = setting === 'true';
  let capture: OtlpCapture;
  let postgres: TestPostgres;
  const servers: Partial<Record<(typeof FRAMEWORKS)[number], Fixture>> = {};
  const url: Record<string, string> = {};

  beforeAll(async () => {
    [capture, postgres] = await Promise.all([startOtlpCapture(), startPostgres()]);
    for (const framework of FRAMEWORKS) {
      const server = Fixture.start('http-server', {
        FRAMEWORK: framework,
        OTEL_SERVICE_NAME: `${framework}-app`,
        MESH_TRACE_FRAMEWORK_SPANS: setting,
        ...fastExportEnv(capture.url),
      });
      servers[framework] = server;
      url[framework] = `http://127.0.0.1:${(await server.message<Ready>('ready')).port}`;
    }
  });
  afterAll(async () => {
    await Promise.all(Object.values(servers).map((server) => server?.stop()));
    await Promise.all([capture?.close(), postgres?.stop()]);
  });

  it.each(FRAMEWORKS)(
    'when %s serves a route with a parameter, then its SERVER span is named after the route',
    async (framework) => {
      const response = await fetch(`${url[framework]}/items/42`);
      const seen = (await response.json()) as Seen;

      // Spans end before their parent and are exported in that order: once the SERVER span is
      // here, so is everything under it.
      const server = await capture.waitFor(
        () => capture.spans().find((s) => s.traceId === seen.traceId && s.kind === 'SERVER'),
        { what: `the ${framework} SERVER span` },
      );
      expect(server.name).toBe('GET /items/:id');
      expect(server.attributes['http.route']).toBe('/items/:id');
      expect(server.parentSpanId).toBeUndefined();

      const others = capture
        .spans()
        .filter((s) => s.traceId === seen.traceId && s.spanId !== server.spanId);
      if (frameworkSpans) {
        expect(others.length).toBeGreaterThan(0);
        expect(others.every(isFrameworkSpan)).toBe(true);
        // The handler runs inside one of them, so what it records lands there.
        expect(seen.spanId).not.toBe(server.spanId);
      } else {
        expect(others.map((s) => s.name)).toEqual([]);
        // The handler runs in the SERVER span: what it records (e.g. an order id) lands there.
        expect(seen.spanId).toBe(server.spanId);
      }
    },
  );

  it('when a unit of work queries through a pool, then the checkout is a span only with framework spans', async () => {
    const fixture = Fixture.start('pg-pool', {
      PG_URL: postgres.url,
      MESH_TRACE_FRAMEWORK_SPANS: setting,
      ...fastExportEnv(capture.url),
    });
    const { parent } = await fixture.message<{ type: string; parent: Seen }>('done');
    await fixture.exited;

    const children = capture
      .spans()
      .filter((s) => s.traceId === parent.traceId && s.parentSpanId === parent.spanId);
    const names = children.map((s) => s.name).sort();
    expect(names.filter((name) => name.startsWith('pg.query'))).toHaveLength(1);
    expect(names.includes('pg-pool.connect')).toBe(frameworkSpans);
  });
});

describe('frameworkSpansWanted', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    [' true ', true],
    ['false', false],
    ['1', false],
    ['', false],
    [undefined, false],
  ])('when MESH_TRACE_FRAMEWORK_SPANS is %p, then it is %p', (value, wanted) => {
    expect(frameworkSpansWanted({ MESH_TRACE_FRAMEWORK_SPANS: value })).toBe(wanted);
  });
});
