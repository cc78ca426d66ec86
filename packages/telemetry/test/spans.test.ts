import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { inSpan } from '../src/spans';
import { startSpanRecorder } from './support/span-recorder';

describe('inSpan', () => {
  const telemetry = startSpanRecorder();
  const tracer = trace.getTracer('test');
  afterEach(() => telemetry.reset());
  afterAll(() => telemetry.shutdown());

  it('when the step succeeds, then its span ends with its attributes, kind and result', async () => {
    const result = await inSpan(
      tracer,
      'charge',
      { attributes: { 'mesh.order.id': 'o-1' }, kind: SpanKind.CLIENT },
      async (span) => {
        span.addEvent('authorised');
        return 'ok';
      },
    );
    expect(result).toBe('ok');
    const [span] = await telemetry.spans();
    expect(span).toMatchObject({ name: 'charge', kind: SpanKind.CLIENT, ended: true });
    expect(span?.attributes).toEqual({ 'mesh.order.id': 'o-1' });
    expect(span?.events.map((e) => e.name)).toEqual(['authorised']);
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('when the step throws, then the error is rethrown and recorded on the span', async () => {
    const declined = Object.assign(new Error('card declined'), { code: 'payment-declined' });
    await expect(
      inSpan(tracer, 'charge', {}, async () => {
        throw declined;
      }),
    ).rejects.toBe(declined);
    const [span] = await telemetry.spans();
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'card declined' });
    expect(span?.attributes['error.type']).toBe('payment-declined');
    expect(span?.events[0]).toMatchObject({
      name: 'exception',
      attributes: { 'exception.message': 'card declined' },
    });
  });

  it('when a non-Error is thrown, then error.type falls back to the error name', async () => {
    await expect(inSpan(tracer, 'step', {}, () => Promise.reject('boom'))).rejects.toBe('boom');
    const [span] = await telemetry.spans();
    expect(span?.attributes['error.type']).toBe('Error');
    expect(span?.status.message).toBe('boom');
  });
});
