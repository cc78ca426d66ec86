import { metrics, trace } from '@opentelemetry/api';
import { startInMemoryTelemetry } from '../src';

describe('startInMemoryTelemetry', () => {
  // The resource as a service gets it when nothing is configured.
  delete process.env.OTEL_SERVICE_NAME;
  delete process.env.OTEL_RESOURCE_ATTRIBUTES;
  const telemetry = startInMemoryTelemetry();
  afterAll(() => telemetry.shutdown());

  it('when a span ends, then it is returned with the resource services get', async () => {
    trace.getTracer('test').startSpan('reserve stock').end();
    const [span] = await telemetry.spans();
    expect(span?.name).toBe('reserve stock');
    // The name and version come from the package.json of the working directory (this package).
    expect(span?.resource.attributes).toMatchObject({
      'service.name': 'telemetry-testing',
      'service.version': '0.1.0',
      'deployment.environment.name': 'development',
    });
  });

  it('when a counter is incremented, then collecting returns its current value', async () => {
    metrics.getMeter('test').createCounter('mesh.test.calls').add(2, { outcome: 'ok' });
    const [collected] = await telemetry.collectMetrics();
    const metric = collected?.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .find((m) => m.descriptor.name === 'mesh.test.calls');
    expect(metric?.dataPoints).toEqual([
      expect.objectContaining({ attributes: { outcome: 'ok' }, value: 2 }),
    ]);
  });

  it('when reset, then spans captured so far are forgotten', async () => {
    trace.getTracer('test').startSpan('before').end();
    telemetry.reset();
    trace.getTracer('test').startSpan('after').end();
    expect((await telemetry.spans()).map((span) => span.name)).toEqual(['after']);
  });
});
