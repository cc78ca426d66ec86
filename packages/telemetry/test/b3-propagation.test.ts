import { type OtlpCapture, startOtlpCapture } from '@mesh/otlp-capture';
import { Fixture, fastExportEnv } from './support/fixture';

const TRACE = '463ac35c9f6413ad48485a3953bb6124';
const SPAN = 'a2fb4a1d1b8d3a4c';
const OUT_TRACE = '0af7651916cd43dd8448eb211c80319c';
const OUT_SPAN = 'b7ad6b7169203331';

type Ids = { traceId: string; spanId: string; sampled: number } | undefined;
type Propagated = {
  type: string;
  extracted: { http: Ids; kafka: Ids; stored: Ids };
  injected: Record<'http' | 'kafka' | 'stored', Record<string, string>>;
};

async function propagate(
  propagators: string,
  headers: Record<string, string>,
): Promise<Propagated> {
  const fixture = Fixture.start('b3-carriers', { OTEL_PROPAGATORS: propagators });
  try {
    await fixture.message('ready');
    fixture.send({ type: 'carriers', http: headers, kafka: headers });
    return await fixture.message<Propagated>('propagated');
  } finally {
    await fixture.stop();
  }
}

const SINGLE = { b3: `${TRACE}-${SPAN}-1` };
const MULTI = { 'x-b3-traceid': TRACE, 'x-b3-spanid': SPAN, 'x-b3-sampled': '1' };
const CONTINUED = { traceId: TRACE, spanId: SPAN, sampled: 1 };

describe('B3 propagation chosen by OTEL_PROPAGATORS', () => {
  it.each([
    ['b3', SINGLE],
    ['b3', MULTI],
    ['tracecontext,baggage,b3', SINGLE],
    ['tracecontext,baggage,b3multi', MULTI],
    ['tracecontext,baggage,b3multi', SINGLE],
  ])(
    'when it is "%s" and a request and a Kafka message carry %j, then both continue that trace',
    async (propagators, headers) => {
      const { extracted } = await propagate(propagators, headers);
      expect(extracted.http).toEqual(CONTINUED);
      expect(extracted.kafka).toEqual(CONTINUED);
    },
  );

  it('when it is "tracecontext,baggage,b3", then requests, messages and the outbox carry the single b3 header next to traceparent', async () => {
    const { injected, extracted } = await propagate('tracecontext,baggage,b3', SINGLE);
    for (const carrier of [injected.http, injected.kafka, injected.stored]) {
      expect(carrier).toEqual({
        traceparent: `00-${OUT_TRACE}-${OUT_SPAN}-01`,
        b3: `${OUT_TRACE}-${OUT_SPAN}-1`,
      });
    }
    expect(extracted.stored).toEqual({ traceId: OUT_TRACE, spanId: OUT_SPAN, sampled: 1 });
  });

  it('when it is "b3multi" alone, then the x-b3 headers carry the trace, also through the outbox', async () => {
    const { injected, extracted } = await propagate('b3multi', MULTI);
    const multi = { 'x-b3-traceid': OUT_TRACE, 'x-b3-spanid': OUT_SPAN, 'x-b3-sampled': '1' };
    expect(injected.http).toEqual(multi);
    expect(injected.kafka).toEqual(multi);
    expect(injected.stored).toEqual(multi);
    expect(extracted.stored).toEqual({ traceId: OUT_TRACE, spanId: OUT_SPAN, sampled: 1 });
  });

  it('when it is "tracecontext,baggage" (the default), then a B3 header is ignored', async () => {
    const { extracted } = await propagate('tracecontext,baggage', SINGLE);
    expect(extracted.http).toBeUndefined();
    expect(extracted.kafka).toBeUndefined();
  });
});

describe('B3 between two instrumented HTTP processes', () => {
  let capture: OtlpCapture;
  beforeAll(async () => {
    capture = await startOtlpCapture();
  });
  afterAll(() => capture.close());

  // A trace id per case, so that each finds its own spans in the capture.
  it.each<[string, string, Record<string, string>]>([
    ['b3', '1'.repeat(32), { b3: `${'1'.repeat(32)}-${SPAN}-1` }],
    [
      'b3multi',
      '2'.repeat(32),
      { 'x-b3-traceid': '2'.repeat(32), 'x-b3-spanid': SPAN, 'x-b3-sampled': '1' },
    ],
  ])(
    'when both use only "%s" and the first is called in trace %s, then both serve that trace',
    async (propagators, trace, headers) => {
      const env = { OTEL_PROPAGATORS: propagators, ...fastExportEnv(capture.url) };
      const caller = Fixture.start('http-server', {
        ...env,
        FRAMEWORK: 'express',
        OTEL_SERVICE_NAME: 'caller-app',
      });
      const callee = Fixture.start('http-server', {
        ...env,
        FRAMEWORK: 'fastify',
        OTEL_SERVICE_NAME: 'callee-app',
      });
      try {
        type Ready = { type: string; port: number };
        const [callerPort, calleePort] = await Promise.all([
          caller.message<Ready>('ready').then((m) => m.port),
          callee.message<Ready>('ready').then((m) => m.port),
        ]);
        caller.send({ type: 'peer', url: `http://127.0.0.1:${calleePort}` });
        await caller.message('peer-set');
        const response = await fetch(`http://127.0.0.1:${callerPort}/hop`, { headers });
        const body = (await response.json()) as { traceId: string; peer: { traceId: string } };
        // Only B3 is configured, so the callee can only have the trace from the caller's B3 headers.
        expect(body.traceId).toBe(trace);
        expect(body.peer.traceId).toBe(trace);
        const server = await capture.waitFor(
          () =>
            capture
              .spans()
              .find(
                (s) => s.traceId === trace && s.serviceName === 'caller-app' && s.kind === 'SERVER',
              ),
          { what: 'the caller server span' },
        );
        expect(server.parentSpanId).toBe(SPAN);
      } finally {
        await Promise.all([caller.stop(), callee.stop()]);
      }
    },
  );
});
