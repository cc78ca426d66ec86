import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { startTelemetry } from '../../src/sdk';
import { shutdownTelemetry } from '../../src/shutdown';

/**
 * This package's SDK, started as the preload starts it but recording spans in memory, for
 * tests of the API-level helpers in the test process. (`@mesh/telemetry-testing` offers the
 * same to other packages; it depends on this one, so this one cannot use it.)
 */
export function startSpanRecorder() {
  const exporter = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor({ exporter });
  startTelemetry({ spanProcessors: [processor], logRecordProcessors: [], metricReaders: [] });
  return {
    /** Spans ended so far. */
    async spans() {
      await processor.forceFlush();
      return exporter.getFinishedSpans();
    },
    reset: () => exporter.reset(),
    async shutdown() {
      await shutdownTelemetry({ timeoutMs: 2_000 });
      // Jest runs the test files one after another in one process, and the SDK's shutdown leaves
      // its propagator and instrumentations in place: fetch calls of a later file would still
      // carry a traceparent. Without global propagators and providers nothing is injected.
      propagation.disable();
      trace.disable();
      context.disable();
    },
  };
}
