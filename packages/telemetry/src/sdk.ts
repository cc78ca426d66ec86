import { diag } from '@opentelemetry/api';
import type { LogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { MetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { createInstrumentations } from './instrumentations';
import { baseResource } from './resource';

/**
 * Components that replace the env-configured exporters. Only the testing entry point passes
 * these; services are configured by `OTEL_*` variables alone.
 */
export interface TelemetryOverrides {
  spanProcessors?: SpanProcessor[];
  logRecordProcessors?: LogRecordProcessor[];
  metricReaders?: MetricReader[];
}

type Signal = 'TRACES' | 'METRICS' | 'LOGS';

// One SDK per process, even if two copies of this package end up loaded.
const SDK_KEY = Symbol.for('@mesh/telemetry/sdk');
type Holder = { [SDK_KEY]?: NodeSDK };

/**
 * Exporting is on for a signal only when an OTLP endpoint is configured for it, or when its
 * `OTEL_<SIGNAL>_EXPORTER` is set explicitly (as in eShop's service defaults). Without one the
 * SDK would post to localhost:4318 and log a failure every few seconds; spans are still created,
 * so trace ids reach responses and logs either way.
 */
function exportConfigured(signal: Signal, env: NodeJS.ProcessEnv): boolean {
  return Boolean(
    env.OTEL_EXPORTER_OTLP_ENDPOINT ||
      env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`] ||
      env[`OTEL_${signal}_EXPORTER`],
  );
}

/**
 * Starts the OpenTelemetry SDK for this process. Everything comes from the standard variables:
 * `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_EXPORTER_OTLP_*`, `OTEL_TRACES_SAMPLER`
 * (+`_ARG`), `OTEL_PROPAGATORS`, `OTEL_SDK_DISABLED`, `OTEL_LOG_LEVEL`.
 * https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/
 *
 * Idempotent: a second call returns the running SDK.
 */
export function startTelemetry(overrides: TelemetryOverrides = {}, env = process.env): NodeSDK {
  const holder = globalThis as Holder;
  const running = holder[SDK_KEY];
  if (running) return running;

  const sdk = new NodeSDK({
    resource: baseResource(),
    instrumentations: createInstrumentations(),
    spanProcessors:
      overrides.spanProcessors ??
      (exportConfigured('TRACES', env) ? undefined : [new NoopSpanProcessor()]),
    logRecordProcessors:
      overrides.logRecordProcessors ?? (exportConfigured('LOGS', env) ? undefined : []),
    metricReaders: overrides.metricReaders ?? (exportConfigured('METRICS', env) ? undefined : []),
  });
  sdk.start();
  holder[SDK_KEY] = sdk;
  return sdk;
}

export interface ShutdownResult {
  /** Every signal flushed and closed within the limit. */
  flushed: boolean;
  /** The limit ran out first; whatever was still queued is dropped. */
  timedOut: boolean;
}

/**
 * Flushes and stops all signals, giving up after `timeoutMs`. Never throws: a dead collector
 * must not keep a process from exiting or turn a clean shutdown into a crash.
 */
export async function shutdownTelemetry(
  options: { timeoutMs?: number } = {},
): Promise<ShutdownResult> {
  const holder = globalThis as Holder;
  const sdk = holder[SDK_KEY];
  if (!sdk) return { flushed: true, timedOut: false };
  delete holder[SDK_KEY];

  const timeoutMs = options.timeoutMs ?? 5_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
    timer.unref();
  });
  try {
    const outcome = await Promise.race([sdk.shutdown().then(() => 'done' as const), timeout]);
    if (outcome === 'timeout') diag.warn(`telemetry shutdown gave up after ${timeoutMs} ms`);
    return { flushed: outcome === 'done', timedOut: outcome === 'timeout' };
  } catch (error) {
    diag.warn('telemetry shutdown failed', error);
    return { flushed: false, timedOut: false };
  } finally {
    clearTimeout(timer);
  }
}
