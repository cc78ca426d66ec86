import { shutdownTelemetry } from '@mesh/telemetry';
import { FRAMEWORK_SPANS_VARIABLE, startTelemetry } from '@mesh/telemetry/sdk';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace';

export interface InMemoryTelemetryOptions {
  /**
   * The frameworks' own spans (`MESH_TRACE_FRAMEWORK_SPANS=true`). In jest the http
   * instrumentation makes no SERVER span (see below), so a fastify app's requests have a span
   * only with these on: `@fastify/otel`'s request span, which stands in for the SERVER span.
   */
  frameworkSpans?: boolean;
}

export interface InMemoryTelemetry {
  /** Spans ended so far (waits for exports under way). */
  spans(): Promise<ReadableSpan[]>;
  /** Collects and returns the current metric values (cumulative). */
  collectMetrics(): Promise<ResourceMetrics[]>;
  /** Forget what was captured so far. */
  reset(): void;
  shutdown(): Promise<void>;
}

/**
 * The SDK exactly as services run it, but with in-memory exporters and a synchronous span
 * processor, for unit tests that assert spans and metrics in the same process. Log records are
 * not exported.
 *
 * Call it before loading the code under test. Library auto-instrumentation relies on require
 * hooks that jest's module loader bypasses, so in jest this covers spans made through
 * `@opentelemetry/api`; library spans are asserted with the OTLP capture receiver
 * (`@mesh/otlp-capture`) against real processes instead.
 */
export function startInMemoryTelemetry(options: InMemoryTelemetryOptions = {}): InMemoryTelemetry {
  const spanExporter = new InMemorySpanExporter();
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const metricReader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    // Only explicit collection in tests.
    exportIntervalMillis: 2_147_483_647,
  });
  // The simple processor hands each span to the exporter asynchronously; reads flush it first.
  const spanProcessor = new SimpleSpanProcessor({ exporter: spanExporter });
  startTelemetry(
    { spanProcessors: [spanProcessor], logRecordProcessors: [], metricReaders: [metricReader] },
    { ...process.env, [FRAMEWORK_SPANS_VARIABLE]: String(options.frameworkSpans ?? false) },
  );
  return {
    async spans() {
      await spanProcessor.forceFlush();
      return spanExporter.getFinishedSpans();
    },
    async collectMetrics() {
      metricExporter.reset();
      await metricReader.forceFlush();
      return metricExporter.getMetrics();
    },
    reset() {
      spanExporter.reset();
      metricExporter.reset();
    },
    async shutdown() {
      await shutdownTelemetry({ timeoutMs: 2_000 });
    },
  };
}
