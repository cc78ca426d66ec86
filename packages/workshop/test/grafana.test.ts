import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  DASHBOARDS_DIR,
  environmentOf,
  expandLikeGrafana,
  GRAFANA_DIR,
  k6SeriesNames,
  loadCompose,
  loadDashboards,
  loadDatasources,
  metricNames,
  prometheusMetricNames,
  repoPath,
  TEMPO_SERVICE_GRAPH_SERIES,
} from '../src';

/*
 * Grafana's provisioning, checked without Grafana: the data sources and the links between
 * them, and every dashboard query against the data sources that exist and the metrics the
 * stack produces. The produced metrics are the ones the collector test saw exported
 * (test/fixtures/exported-metrics.json, which that test keeps honest), k6's (src/k6-metrics.ts
 * says where that list comes from) and the series Prometheus makes itself for every target.
 */

const exported = JSON.parse(
  readFileSync(
    repoPath('packages', 'workshop', 'test', 'fixtures', 'exported-metrics.json'),
    'utf8',
  ),
) as { application: string[]; collector: string[] };

/** Series Prometheus records for every scrape target (https://prometheus.io/docs/concepts/jobs_instances/). */
const PROMETHEUS_SERIES = [
  'up',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
  'scrape_samples_post_metric_relabeling',
  'scrape_series_added',
];

const produced = new Set([
  ...exported.application,
  ...exported.collector,
  ...k6SeriesNames(),
  ...PROMETHEUS_SERIES,
]);

const datasources = loadDatasources();
const byUid = new Map(datasources.map((ds) => [ds.uid, ds]));
const dashboards = loadDashboards();
const compose = loadCompose();

describe('Grafana data sources (infra/grafana/provisioning/datasources)', () => {
  it('when Grafana starts, then Prometheus, Tempo and Loki exist under their fixed uids, at their compose services', () => {
    expect(datasources.map(({ uid, type, url }) => ({ uid, type, url }))).toEqual([
      { uid: 'prometheus', type: 'prometheus', url: 'http://prometheus:9090' },
      { uid: 'tempo', type: 'tempo', url: 'http://tempo:3200' },
      { uid: 'loki', type: 'loki', url: 'http://loki:3100' },
    ]);
    for (const service of ['prometheus', 'tempo', 'loki'])
      expect(compose.services[service]).toBeDefined();
  });

  it('when Grafana expands environment variables in the file, then the links keep their own template variables', () => {
    // As Grafana reads it, even with variables of these names set in its environment.
    const hostile = { __value: 'x', __trace: 'x', __span: 'x', __tags: 'x', __rate_interval: 'x' };
    const [, tempo, loki] = loadDatasources(hostile);
    // (The ${...} below are Grafana's template variables, not JavaScript's.)
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana template syntax
    expect(loki?.jsonData?.derivedFields?.[0]?.url).toBe('${__value.raw}');
    expect(tempo?.jsonData?.tracesToLogsV2?.query).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana template syntax
      '{service_name="${__span.tags["service.name"]}"} | trace_id="${__trace.traceId}"',
    );
    for (const query of tempo?.jsonData?.tracesToMetrics?.queries ?? []) {
      expect(query.query).toContain('{$__tags');
      expect(query.query).toContain('[$__rate_interval]');
    }
    // and the expansion this relies on is Grafana's: $$ is a literal $, $NAME is a variable
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana template syntax
    expect(expandLikeGrafana('$${__value.raw} $HOME ${HOME}', { HOME: '/h' })).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana template syntax
      '${__value.raw} /h /h',
    );
  });

  it('when a trace is open, then it links to its logs in Loki, its metrics and the service graph in Prometheus', () => {
    const tempo = byUid.get('tempo')?.jsonData ?? {};
    expect(tempo.tracesToLogsV2?.datasourceUid).toBe('loki');
    expect(tempo.tracesToMetrics?.datasourceUid).toBe('prometheus');
    expect(tempo.tracesToMetrics?.tags).toEqual([{ key: 'service.name', value: 'service_name' }]);
    expect(tempo.serviceMap?.datasourceUid).toBe('prometheus');
    expect(tempo.nodeGraph?.enabled).toBe(true);
    for (const query of tempo.tracesToMetrics?.queries ?? []) {
      const names = metricNames(query.query);
      expect(names.filter((name) => !produced.has(name))).toEqual([]);
    }
  });

  it("when Explore draws Tempo's service graph and its table, then every series the data source queries is produced", () => {
    expect(byUid.get('tempo')?.jsonData?.serviceMap?.datasourceUid).toBe('prometheus');
    expect(TEMPO_SERVICE_GRAPH_SERIES.filter((name) => !produced.has(name))).toEqual([]);
  });

  it('when a log line or an exemplar carries a trace id, then it links to the trace in Tempo', () => {
    expect(byUid.get('loki')?.jsonData?.derivedFields).toEqual([
      expect.objectContaining({
        matcherType: 'label',
        matcherRegex: 'trace_id',
        datasourceUid: 'tempo',
      }),
    ]);
    expect(byUid.get('prometheus')?.jsonData?.exemplarTraceIdDestinations).toEqual([
      expect.objectContaining({ name: 'trace_id', datasourceUid: 'tempo' }),
    ]);
  });

  it('when Loki ingests OTLP logs, then service.name becomes the service_name label the links select on', () => {
    const loki = parse(readFileSync(repoPath('infra', 'loki', 'loki.yaml'), 'utf8'));
    const indexed = loki.limits_config.otlp_config.resource_attributes.attributes_config
      .filter((config: { action: string }) => config.action === 'index_label')
      .flatMap((config: { attributes: string[] }) => config.attributes);
    expect(indexed).toContain('service.name');
    expect(loki.limits_config.allow_structured_metadata).toBe(true);
  });
});

describe('Grafana dashboards (infra/grafana/dashboards)', () => {
  it('when Grafana provisions dashboards, then it reads the folder compose mounts them into', () => {
    const provider = parse(
      readFileSync(join(GRAFANA_DIR, 'provisioning', 'dashboards', 'dashboards.yaml'), 'utf8'),
    ).providers[0];
    const grafana = compose.services.grafana;
    expect(grafana?.volumes).toContain(`./infra/grafana/dashboards:${provider.options.path}:ro`);
    const home = environmentOf(grafana ?? {}).GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH ?? '';
    expect(home.startsWith(`${provider.options.path}/`)).toBe(true);
    expect(existsSync(join(DASHBOARDS_DIR, home.slice(provider.options.path.length + 1)))).toBe(
      true,
    );
  });

  it('when the five dashboards load, then each has its own uid', () => {
    expect(dashboards.map((d) => d.file)).toEqual([
      'collector.json',
      'k6.json',
      'kafka.json',
      'order-flow.json',
      'service-overview.json',
    ]);
    expect(new Set(dashboards.map((d) => d.uid)).size).toBe(dashboards.length);
  });

  it('when the Kafka dashboard loads, then it shows consumer lag per group, from the broker', () => {
    const kafka = dashboards.find((d) => d.file === 'kafka.json');
    const lag = kafka?.queries.find((query) => query.where === 'Consumer lag per group');
    expect(lag?.datasource?.uid).toBe('prometheus');
    expect(lag?.expr).toMatch(/^sum by \(group\) \(kafka_consumer_group_lag(_sum)?\)$/);
  });

  describe.each(dashboards.map((d) => [d.title, d] as const))('%s', (_, dashboard) => {
    it('when a panel or query names a data source, then it is a provisioned uid', () => {
      const unknown = dashboard.datasourceRefs.filter(
        ({ ref }) => typeof ref !== 'object' || !ref?.uid || !byUid.has(ref.uid),
      );
      expect(unknown).toEqual([]);
      for (const { ref } of dashboard.datasourceRefs) {
        if (typeof ref === 'object' && ref?.uid) expect(ref.type).toBe(byUid.get(ref.uid)?.type);
      }
    });

    it('when its Prometheus queries run, then every metric they read is one the stack produces', () => {
      const names = prometheusMetricNames(dashboard);
      expect(names.length).toBeGreaterThan(0);
      expect(names.filter((name) => !produced.has(name))).toEqual([]);
    });

    it('when its Loki queries run, then they select streams by labels Loki indexes', () => {
      const selectors = dashboard.queries
        .filter((query) => query.datasource?.uid === 'loki')
        .map((query) => query.expr ?? '');
      for (const selector of selectors) {
        const labels = [...selector.matchAll(/([a-z_]+)\s*=~?/g)].map((match) => match[1]);
        expect(
          labels.filter(
            (label) =>
              !['service_name', 'service_namespace', 'deployment_environment_name'].includes(
                label ?? '',
              ),
          ),
        ).toEqual([]);
      }
    });
  });
});
