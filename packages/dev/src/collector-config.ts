import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './backing';
import type { RunConfig } from './config';

/** The collector configuration docker-compose.yml runs. */
export const COLLECTOR_CONFIG = join(REPO_ROOT, 'infra', 'otel-collector', 'config.yaml');

type Section = Record<string, unknown>;
interface CollectorConfig {
  extensions: Section;
  receivers: Section;
  exporters: Section;
  connectors: Section;
  service: {
    pipelines: Record<string, { exporters: string[] }>;
    telemetry: Section;
  } & Section;
}

/**
 * infra/otel-collector/config.yaml as the runner runs it natively, where there is no Tempo, Loki
 * or Prometheus. Built here rather than as a YAML overlay because an overlay can only add and
 * change keys, not remove the pipelines to Tempo and Loki; and the collector is built with
 * exactly config.yaml's components, so there is no debug or file exporter to send them to.
 *
 * - Kept as in the workshop stack: the OTLP receiver, memory_limiter and redaction, the
 *   span_metrics and service_graph connectors and the prometheus exporter. Every span still
 *   becomes RED metrics and service-graph edges per service, at http://127.0.0.1:8889/metrics.
 * - Dropped: the tail-sampled trace pipeline to Tempo and the logs pipeline to Loki. The
 *   services' log lines are in the terminal, each with its trace_id.
 * - Every listener on 127.0.0.1, on the runner's ports (the OTLP/HTTP receiver keeps its CORS); the collector's own log: warnings and
 *   errors only, as JSON lines, so the terminal stays the services'.
 */
export function nativeCollectorConfig(ports: RunConfig['collectorPorts']): CollectorConfig {
  const config = parse(readFileSync(COLLECTOR_CONFIG, 'utf8')) as CollectorConfig;
  const { service } = config;

  delete config.exporters['otlp_grpc/tempo'];
  delete config.exporters['otlp_http/loki'];
  delete service.pipelines['traces/sampled'];
  delete service.pipelines.logs;
  // `forward` handed the spans on to the sampled pipeline, which is gone.
  delete config.connectors.forward;
  const tracesIn = service.pipelines['traces/in'];
  if (tracesIn) tracesIn.exporters = tracesIn.exporters.filter((name) => name !== 'forward');

  config.extensions.health_check = { endpoint: `127.0.0.1:${ports.health}` };
  const otlp = config.receivers.otlp as { protocols: { grpc: Section; http: Section } };
  // Only the addresses change: the HTTP receiver keeps its CORS for the storefront's page, whose
  // origin the runner hands the collector in MESH_STOREFRONT_ORIGIN.
  config.receivers.otlp = {
    protocols: {
      grpc: { ...otlp.protocols.grpc, endpoint: `127.0.0.1:${ports.otlpGrpc}` },
      http: { ...otlp.protocols.http, endpoint: `127.0.0.1:${ports.otlpHttp}` },
    },
  };
  config.exporters.prometheus = {
    ...(config.exporters.prometheus as Section),
    endpoint: `127.0.0.1:${ports.metrics}`,
  };
  service.telemetry = {
    logs: { level: 'warn', encoding: 'json' },
    metrics: {
      ...(service.telemetry.metrics as Section),
      readers: [
        { pull: { exporter: { prometheus: { host: '127.0.0.1', port: ports.telemetry } } } },
      ],
    },
  };
  return config;
}
