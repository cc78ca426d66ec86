import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { COLLECTOR_CONFIG, loadCompose, repoPath, runTool } from '../src';

const PROMETHEUS_CONFIG = repoPath('infra', 'prometheus', 'prometheus.yml');
const prometheus = parse(readFileSync(PROMETHEUS_CONFIG, 'utf8')) as {
  scrape_configs: {
    job_name: string;
    honor_labels?: boolean;
    static_configs: { targets: string[] }[];
  }[];
};
const collector = parse(readFileSync(COLLECTOR_CONFIG, 'utf8'));
const compose = loadCompose();

describe('infra/prometheus/prometheus.yml', () => {
  it('when promtool checks it, then it is a valid Prometheus configuration', () => {
    const run = runTool('promtool', ['check', 'config', PROMETHEUS_CONFIG]);
    expect({ status: run.status, output: run.status === 0 ? 'ok' : run.output }).toEqual({
      status: 0,
      output: 'ok',
    });
  });

  it('when a setting is wrong, then the same check rejects it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-prometheus-'));
    try {
      const file = join(dir, 'prometheus.yml');
      writeFileSync(
        file,
        readFileSync(PROMETHEUS_CONFIG, 'utf8').replace(
          'scrape_interval: 15s',
          'scrape_interval: 15x',
        ),
      );
      expect(runTool('promtool', ['check', 'config', file]).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when promtool checks it, then promtool is the Prometheus release compose runs', () => {
    const image = compose.services.prometheus?.image ?? '';
    const version = runTool('promtool', ['--version']).output;
    expect(image).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
    expect(version).toContain(`version ${image.split(':v')[1]}`);
  });

  it('when Prometheus scrapes, then it reads the collector on the ports config.yaml exposes', () => {
    const targets = Object.fromEntries(
      prometheus.scrape_configs.map((job) => [
        job.job_name,
        job.static_configs.flatMap((c) => c.targets),
      ]),
    );
    const exporterPort = String(collector.exporters.prometheus.endpoint).split(':').pop();
    const telemetryPort =
      collector.service.telemetry.metrics.readers[0].pull.exporter.prometheus.port;
    expect(targets['otel-collector']).toEqual([`otel-collector:${exporterPort}`]);
    expect(targets['otel-collector-internal']).toEqual([`otel-collector:${telemetryPort}`]);
  });

  it('when it scrapes the application metrics, then the service names the collector sets as job are kept', () => {
    const job = prometheus.scrape_configs.find((config) => config.job_name === 'otel-collector');
    expect(job?.honor_labels).toBe(true);
  });

  it('when Prometheus runs in compose, then it stores exemplars and accepts k6 remote writes', () => {
    expect(compose.services.prometheus?.command).toEqual(
      expect.arrayContaining([
        '--config.file=/etc/prometheus/prometheus.yml',
        '--web.enable-remote-write-receiver',
        '--enable-feature=exemplar-storage',
      ]),
    );
  });
});
