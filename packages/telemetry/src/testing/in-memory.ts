import {
  InMemoryLogRecordExporter,
  type ReadableLogRecord,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
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
import { shutdownTelemetry, startTelemetry } from '../sdk';

export interface InMemoryTelemetry {
  /** Spans ended so far (waits for exports under way). */
  spans(): Promise<ReadableSpan[]>;
  /** Log records emitted so far (waits for exports under way). */
  logs(): Promise<ReadableLogRecord[]>;
  /** Collects and returns the current metric values (cumulative). */
  collectMetrics(): Promise<ResourceMetrics[]>;
  /** Forget what was captured so far. */
  reset(): void;
  shutdown(): Promise<void>;
}

/**
 * The SDK exactly as services run it, but with in-memory exporters and synchronous processors,
 * for unit tests that assert spans, logs and metrics in the same process.
 *
 * Call it before loading the code under test. Library auto-instrumentation relies on require
 * hooks that jest's module loader bypasses, so in jest this covers spans made through
 * `@opentelemetry/api`; library spans are asserted with the OTLP capture receiver against real
 * processes instead.
 */
export function startInMemoryTelemetry(): InMemoryTelemetry {
  const spanExporter = new InMemorySpanExporter();
  const logExporter = new InMemoryLogRecordExporter();
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const metricReader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    // Only explicit collection in tests.
    exportIntervalMillis: 2_147_483_647,
  });
  // The simple processors hand each item to the exporter asynchronously; reads flush them first.
  const spanProcessor = new SimpleSpanProcessor({ exporter: spanExporter });
  const logProcessor = new SimpleLogRecordProcessor({ exporter: logExporter });
  startTelemetry({
    spanProcessors: [spanProcessor],
    logRecordProcessors: [logProcessor],
    metricReaders: [metricReader],
  });
  return {
    async spans() {
      await spanProcessor.forceFlush();
      return spanExporter.getFinishedSpans();
    },
    async logs() {
      await logProcessor.forceFlush();
      return logExporter.getFinishedLogRecords();
    },
    async collectMetrics() {
      metricExporter.reset();
      await metricReader.forceFlush();
      return metricExporter.getMetrics();
    },
    reset() {
      spanExporter.reset();
      logExporter.reset();
      metricExporter.reset();
    },
    async shutdown() {
      await shutdownTelemetry({ timeoutMs: 2_000 });
    },
  };
}
