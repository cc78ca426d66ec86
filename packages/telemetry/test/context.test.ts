import { context, propagation, trace } from '@opentelemetry/api';
import { captureTraceContext, contextFromCarrier, withTraceContext } from '../src/context';
import { startSpanRecorder } from './support/span-recorder';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('stored trace context', () => {
  const telemetry = startSpanRecorder();
  afterAll(() => telemetry.shutdown());

  it('when the context of an active span is captured and restored later, then new spans join that trace as its children', async () => {
    const tracer = trace.getTracer('test');
    const baggage = propagation.createBaggage({ 'session.id': { value: 's-42' } });
    let stored = {};
    let requestSpanId = '';
    context.with(propagation.setBaggage(context.active(), baggage), () => {
      tracer.startActiveSpan('request', (span) => {
        stored = captureTraceContext();
        requestSpanId = span.spanContext().spanId;
        span.end();
      });
    });
    expect(stored).toMatchObject({
      traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/),
      baggage: 'session.id=s-42',
    });

    // A JSON round trip stands in for the database row of the outbox.
    const restored = JSON.parse(JSON.stringify(stored));
    withTraceContext(restored, () => {
      expect(propagation.getActiveBaggage()?.getEntry('session.id')?.value).toBe('s-42');
      tracer.startSpan('publish').end();
    });
    const [request, publish] = await telemetry.spans();
    expect(publish?.spanContext().traceId).toBe(request?.spanContext().traceId);
    expect(publish?.parentSpanContext?.spanId).toBe(requestSpanId);
  });

  it.each([
    ['version ff', `ff-${TRACE}-${SPAN}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['all-zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['uppercase hex', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ['wrong lengths', `00-${TRACE}0-${SPAN.slice(2)}-01`],
    ['extra fields on version 00', `00-${TRACE}-${SPAN}-01-x`],
    ['garbage', '\u0000\u0001not-a-header'],
  ])(
    'when a stored traceparent has %s, then restoring it gives no parent and never throws',
    (_case, traceparent) => {
      const ctx = contextFromCarrier({ traceparent });
      expect(trace.getSpanContext(ctx)).toBeUndefined();
    },
  );

  it('when the stored context is missing, then work runs in a new trace', () => {
    expect(trace.getSpanContext(contextFromCarrier(null))).toBeUndefined();
    expect(withTraceContext(undefined, () => 'ran')).toBe('ran');
  });

  it('when the stored traceparent is a valid future version, then its trace id is kept', () => {
    const ctx = contextFromCarrier({ traceparent: `cc-${TRACE}-${SPAN}-01-what-comes-next` });
    expect(trace.getSpanContext(ctx)).toMatchObject({
      traceId: TRACE,
      spanId: SPAN,
      isRemote: true,
    });
  });
});
