/*
 * The OpenTelemetry SDK of a Mesh process: `@mesh/telemetry/sdk`. Services reach it only through
 * the preload (`@mesh/telemetry/register`); `@mesh/telemetry-testing` starts it with in-memory
 * processors.
 *
 * Exporters are not imported here: for each signal the NodeSDK builds the OTLP exporter that
 * `OTEL_EXPORTER_OTLP_PROTOCOL` (or `OTEL_EXPORTER_OTLP_<SIGNAL>_PROTOCOL`) names, http/protobuf
 * by default, http/json or grpc otherwise, from exporter packages that are its own dependencies.
 * So this package declares none of them.
 */
import type { LogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { MetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { EdgePropagator } from './edge-propagator';
import { createInstrumentations } from './instrumentations';

export { FRAMEWORK_SPANS_VARIABLE } from './instrumentations';

import { configuredPropagator } from './propagators';
import { baseResource } from './resource';
import { runningSdk, setRunningSdk } from './running-sdk';

/**
 * Components that replace the env-configured exporters. Only the test tools pass these;
 * services are configured by `OTEL_*` variables alone.
 */
export interface TelemetryOverrides {
  spanProcessors?: SpanProcessor[];
  logRecordProcessors?: LogRecordProcessor[];
  metricReaders?: MetricReader[];
}

type Signal = 'TRACES' | 'METRICS' | 'LOGS';

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
 * `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_EXPORTER_OTLP_*`, `OTEL_TRACES_SAMPLER`,
 * `OTEL_TRACES_SAMPLER_ARG`, `OTEL_PROPAGATORS`, `OTEL_SDK_DISABLED`, `OTEL_LOG_LEVEL`.
 * https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/
 * `OTEL_NODE_ENABLED_INSTRUMENTATIONS` / `OTEL_NODE_DISABLED_INSTRUMENTATIONS` pick libraries.
 * Mesh's one addition: `MESH_TRACE_FRAMEWORK_SPANS=true` records the frameworks' own spans too.
 *
 * Idempotent: while an SDK runs, a second call changes nothing. `shutdownTelemetry` (from the
 * main entry) stops it.
 */
export function startTelemetry(overrides: TelemetryOverrides = {}, env = process.env): void {
  if (runningSdk()) return;

  const propagator = configuredPropagator(env);
  const instrumentations = createInstrumentations(env);
  const sdk = new NodeSDK({
    resource: baseResource(),
    // The edge policy a service may register (setTraceEdgePolicy) is applied on extract.
    textMapPropagator: propagator && new EdgePropagator(propagator),
    instrumentations,
    spanProcessors:
      overrides.spanProcessors ??
      (exportConfigured('TRACES', env) ? undefined : [new NoopSpanProcessor()]),
    logRecordProcessors:
      overrides.logRecordProcessors ?? (exportConfigured('LOGS', env) ? undefined : []),
    metricReaders: overrides.metricReaders ?? (exportConfigured('METRICS', env) ? undefined : []),
  });
  sdk.start();
  setRunningSdk({
    // The NodeSDK's shutdown leaves the instrumentations hooked in. Unhooked, an SDK started
    // later in the same process (the next test file in a jest worker) gets fastify's
    // instrumentation to itself instead of sharing it with a stopped one.
    async shutdown() {
      for (const instrumentation of instrumentations) instrumentation.disable();
      await sdk.shutdown();
    },
  });
}
