import { type Context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { setTraceEdgePolicy, type TraceEdgePolicy } from '../src';
import { configuredPropagator } from '../src/propagators';
import { startSpanRecorder } from './support/span-recorder';

const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const TRUSTED_KEY = 'front-end-key';

const policy: TraceEdgePolicy = {
  trusts: (header) => header('x-api-key') === TRUSTED_KEY,
  baggage: { allowedKeys: ['session.id', 'mesh.campaign', 'mesh.ab'], maxEntries: 2, maxBytes: 64 },
};

/** Headers of a request as node:http hands them to the http instrumentation. */
function request(headers: Record<string, string>, flags = '01'): Record<string, string> {
  return { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-${flags}`, ...headers };
}

const extract = (headers: Record<string, string>) => propagation.extract(ROOT_CONTEXT, headers);

function baggageOf(context: Context): Record<string, string> {
  const entries = propagation.getBaggage(context)?.getAllEntries() ?? [];
  return Object.fromEntries(entries.map(([key, entry]) => [key, entry.value]));
}

/** The span the http instrumentation would start for a request with that context. */
function serverSpanIn(context: Context) {
  const span = trace.getTracer('test').startSpan('GET /api/orders', {}, context);
  span.end();
  return span;
}

describe('trace context at the edge', () => {
  const telemetry = startSpanRecorder();
  afterEach(() => setTraceEdgePolicy(undefined));
  afterAll(() => telemetry.shutdown());

  it('when no policy is registered, then every caller is continued with all its baggage (internal hops)', () => {
    const context = extract(request({ baggage: 'anything=goes,customer=c-42' }, '00'));
    expect(trace.getSpanContext(context)).toMatchObject({ traceId: CLIENT_TRACE, traceFlags: 0 });
    expect(baggageOf(context)).toEqual({ anything: 'goes', customer: 'c-42' });
  });

  describe('with a policy', () => {
    beforeEach(() => setTraceEdgePolicy(policy));

    it.each([
      ['an unknown key', { 'x-api-key': 'someone-else' }],
      ['no key', {}],
    ])(
      'when a caller with %s sends a traceparent, then its span starts a new trace',
      (_case, headers) => {
        const context = extract(request(headers));
        expect(trace.getSpanContext(context)).toBeUndefined();
        const span = serverSpanIn(context);
        expect(span.spanContext().traceId).not.toBe(CLIENT_TRACE);
        expect(span.isRecording()).toBe(false); // ended
      },
    );

    it('when an untrusted caller says "not sampled" (flags 00), then Mesh samples by its own sampler', async () => {
      const span = serverSpanIn(extract(request({ 'x-api-key': 'someone-else' }, '00')));
      // The default sampler (parent-based, always on) samples every root.
      const { traceId } = span.spanContext();
      const exported = (await telemetry.spans()).find((s) => s.spanContext().traceId === traceId);
      expect(exported?.spanContext().traceFlags).toBe(1);
      expect(exported?.parentSpanContext).toBeUndefined();
    });

    it('when an untrusted caller sends baggage, then none of it is kept', () => {
      const context = extract(
        request({ 'x-api-key': 'someone-else', baggage: 'session.id=s-1,mesh.campaign=spring' }),
      );
      expect(propagation.getBaggage(context)).toBeUndefined();
    });

    it('when a trusted caller sends a traceparent, then its trace is continued, sampled flag and all', () => {
      const sampled = extract(request({ 'x-api-key': TRUSTED_KEY }));
      expect(trace.getSpanContext(sampled)).toMatchObject({
        traceId: CLIENT_TRACE,
        spanId: CLIENT_SPAN,
        traceFlags: 1,
      });
      const notSampled = extract(request({ 'x-api-key': TRUSTED_KEY }, '00'));
      expect(serverSpanIn(notSampled).spanContext()).toMatchObject({
        traceId: CLIENT_TRACE,
        traceFlags: 0,
      });
    });

    it('when a trusted caller sends baggage, then only allow-listed entries are kept, within the caps', () => {
      const cases: [string, Record<string, string>][] = [
        // unknown keys dropped, metadata dropped
        [
          'session.id=s-1;ttl=60,customer=c-42,mesh.campaign=spring',
          { 'session.id': 's-1', 'mesh.campaign': 'spring' },
        ],
        // an entry over the byte cap (64) is dropped, the next one that fits is kept
        [`mesh.campaign=${'x'.repeat(80)},session.id=s-1`, { 'session.id': 's-1' }],
        // at most 2 entries
        [
          'session.id=s-1,mesh.campaign=spring,mesh.ab=b',
          { 'session.id': 's-1', 'mesh.campaign': 'spring' },
        ],
        // nothing allow-listed: no baggage at all
        ['customer=c-42,email=ada%40example.com', {}],
      ];
      for (const [baggage, kept] of cases) {
        const context = extract(request({ 'x-api-key': TRUSTED_KEY, baggage }));
        expect({ baggage, kept: baggageOf(context) }).toEqual({ baggage, kept });
      }
      const none = extract(request({ 'x-api-key': TRUSTED_KEY, baggage: 'customer=c-42' }));
      expect(propagation.getBaggage(none)).toBeUndefined();
    });
  });
});

describe('the propagator OTEL_PROPAGATORS names', () => {
  it.each([
    [{}, ['traceparent', 'tracestate', 'baggage']],
    [{ OTEL_PROPAGATORS: 'b3' }, ['b3']],
    [{ OTEL_PROPAGATORS: 'tracecontext, b3multi' }, ['traceparent', 'tracestate', 'x-b3-traceid']],
  ])('when the environment is %j, then it carries %j', (env, fields) => {
    expect(configuredPropagator(env)?.fields()).toEqual(expect.arrayContaining(fields));
  });

  it('when it is "none", then nothing is propagated', () => {
    expect(configuredPropagator({ OTEL_PROPAGATORS: 'none' })).toBeNull();
  });
});
