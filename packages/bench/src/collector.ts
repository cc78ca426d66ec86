import { nativeCollectorConfig } from '@mesh/dev/dist/collector-config';
import { freePort } from '@mesh/testkit';
import {
  parseExposition,
  type RunningCollector,
  type Sample,
  startCollector,
} from '@mesh/workshop';
import { pidListeningOn } from './proc';

/**
 * The collector built from infra/otel-collector, run natively with the configuration the runner
 * (packages/dev) derives from config.yaml: same receiver, processors and span-metrics
 * connectors, without the Tempo and Loki exports that have nothing to reach here.
 */
export interface BenchCollector {
  /** OTLP/HTTP endpoint for the services. */
  otlpUrl: string;
  pid: number | undefined;
  /** The collector's own metrics (otelcol_*). */
  ownMetrics(): Promise<Sample[]>;
  /** What its prometheus exporter serves: the services' metrics, including the SDK's own. */
  exportedMetrics(): Promise<Sample[]>;
  output(): string;
  stop(): Promise<void>;
}

export async function startBenchCollector(): Promise<BenchCollector> {
  const [otlpGrpc, otlpHttp, health, metrics, telemetry] = await Promise.all(
    Array.from({ length: 5 }, () => freePort()),
  );
  const ports = {
    otlpGrpc: otlpGrpc as number,
    otlpHttp: otlpHttp as number,
    health: health as number,
    metrics: metrics as number,
    telemetry: telemetry as number,
  };
  const running: RunningCollector = await startCollector({
    configs: [nativeCollectorConfig(ports) as unknown as Record<string, unknown>],
    healthUrl: `http://127.0.0.1:${ports.health}/`,
  });
  const scrape = async (port: number) => {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    return parseExposition(await response.text());
  };
  return {
    otlpUrl: `http://127.0.0.1:${ports.otlpHttp}`,
    pid: pidListeningOn(ports.otlpHttp),
    ownMetrics: () => scrape(ports.telemetry),
    exportedMetrics: () => scrape(ports.metrics),
    output: running.output,
    stop: running.stop,
  };
}
