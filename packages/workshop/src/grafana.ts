import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { metricNames } from './promql';
import { repoPath } from './repo';

export const GRAFANA_DIR = repoPath('infra', 'grafana');
export const DASHBOARDS_DIR = join(GRAFANA_DIR, 'dashboards');

/**
 * What Grafana does to every value of a provisioning file before using it: `$NAME` and
 * `${NAME}` become environment variables (empty when unset), `$$` a literal `$`.
 * https://grafana.com/docs/grafana/latest/administration/provisioning/#using-environment-variables
 */
export function expandLikeGrafana(value: string, env: Record<string, string> = {}): string {
  return value.replace(/\$\$|\$\{([^}]*)\}|\$([a-zA-Z_][a-zA-Z0-9_]*)/g, (match, braced, bare) => {
    if (match === '$$') return '$';
    return env[(braced ?? bare) as string] ?? '';
  });
}

function expandAll<T>(value: T, env: Record<string, string>): T {
  if (typeof value === 'string') return expandLikeGrafana(value, env) as T;
  if (Array.isArray(value)) return value.map((item) => expandAll(item, env)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, expandAll(item, env)]),
    ) as T;
  }
  return value;
}

/** The parts of a data source's jsonData that the links between data sources live in. */
export interface DatasourceJsonData {
  derivedFields?: {
    name: string;
    matcherType?: string;
    matcherRegex: string;
    datasourceUid?: string;
    url?: string;
  }[];
  exemplarTraceIdDestinations?: { name: string; datasourceUid?: string }[];
  tracesToLogsV2?: { datasourceUid?: string; query?: string };
  tracesToMetrics?: {
    datasourceUid?: string;
    tags?: { key: string; value?: string }[];
    queries?: { name: string; query: string }[];
  };
  serviceMap?: { datasourceUid?: string };
  nodeGraph?: { enabled?: boolean };
  [key: string]: unknown;
}

export interface ProvisionedDatasource {
  name: string;
  type: string;
  uid: string;
  url: string;
  jsonData?: DatasourceJsonData;
}

/** The provisioned data sources, as Grafana sees them after expanding variables. */
export function loadDatasources(env: Record<string, string> = {}): ProvisionedDatasource[] {
  const file = join(GRAFANA_DIR, 'provisioning', 'datasources', 'datasources.yaml');
  const provisioning = parse(readFileSync(file, 'utf8')) as {
    datasources: ProvisionedDatasource[];
  };
  return expandAll(provisioning.datasources, env);
}

export interface DatasourceRef {
  type?: string;
  uid?: string;
}

export interface DashboardQuery {
  /** Where it is: panel title, or `variable <name>`. */
  where: string;
  datasource: DatasourceRef | undefined;
  /** PromQL or LogQL; undefined for queries without an expression (e.g. Tempo's service map). */
  expr: string | undefined;
}

interface PanelJson {
  type: string;
  title: string;
  datasource?: DatasourceRef;
  targets?: { refId: string; datasource?: DatasourceRef; expr?: string }[];
  panels?: PanelJson[];
}

interface VariableJson {
  type: string;
  name: string;
  datasource?: DatasourceRef;
  query?: string | { query?: string };
}

/** The parts of a dashboard's JSON model the checks read. */
export interface DashboardJson {
  uid: string;
  title: string;
  panels?: PanelJson[];
  templating?: { list?: VariableJson[] };
}

export interface Dashboard {
  file: string;
  uid: string;
  title: string;
  json: DashboardJson;
  /** Every query of every panel (rows included) and every query variable. */
  queries: DashboardQuery[];
  /** Every data source reference anywhere: panels, targets, variables. */
  datasourceRefs: { where: string; ref: DatasourceRef | string | undefined }[];
}

function panelsOf(panels: PanelJson[] = []): PanelJson[] {
  return panels.flatMap((panel) => [panel, ...panelsOf(panel.panels)]);
}

/** The dashboards in infra/grafana/dashboards, with their queries pulled out. */
export function loadDashboards(): Dashboard[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const json = JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), 'utf8')) as DashboardJson;
      const queries: DashboardQuery[] = [];
      const datasourceRefs: Dashboard['datasourceRefs'] = [];
      for (const panel of panelsOf(json.panels)) {
        if (panel.type === 'row' || panel.type === 'text') continue;
        datasourceRefs.push({ where: panel.title, ref: panel.datasource });
        for (const target of panel.targets ?? []) {
          const datasource = target.datasource ?? panel.datasource;
          datasourceRefs.push({ where: `${panel.title} (${target.refId})`, ref: datasource });
          queries.push({ where: panel.title, datasource, expr: target.expr });
        }
      }
      for (const variable of json.templating?.list ?? []) {
        if (variable.type !== 'query') continue;
        datasourceRefs.push({ where: `variable ${variable.name}`, ref: variable.datasource });
        const expr = typeof variable.query === 'string' ? variable.query : variable.query?.query;
        queries.push({ where: `variable ${variable.name}`, datasource: variable.datasource, expr });
      }
      return { file, uid: json.uid, title: json.title, json, queries, datasourceRefs };
    });
}

/** Metric names read by the Prometheus queries of a dashboard. */
export function prometheusMetricNames(dashboard: Dashboard): string[] {
  return [
    ...new Set(
      dashboard.queries
        .filter((query) => query.datasource?.uid === 'prometheus' && query.expr)
        .flatMap((query) => metricNames(query.expr ?? '')),
    ),
  ];
}

/**
 * The Prometheus series Grafana's Tempo data source queries by fixed names for its "Service
 * Graph" query type (no setting changes them), so the stack must produce exactly these:
 * - the node graph: traces_service_graph_request_total, _failed_total and
 *   _server_seconds_sum ("Service graph not displaying" in
 *   https://grafana.com/docs/grafana/latest/datasources/tempo/troubleshooting/);
 * - the table of the Service Graph view: traces_spanmetrics_calls_total for rate and errors,
 *   and the latency histogram for duration, which the troubleshooting page names
 *   traces_spanmetrics_latency_bucket and the service-graph page
 *   (https://grafana.com/docs/grafana/latest/datasources/tempo/service-graph/)
 *   traces_spanmetrics_duration_seconds_bucket; both are required, so the table fills whichever
 *   name this Grafana release queries.
 */
export const TEMPO_SERVICE_GRAPH_SERIES: readonly string[] = [
  'traces_service_graph_request_total',
  'traces_service_graph_request_failed_total',
  'traces_service_graph_request_server_seconds_sum',
  'traces_spanmetrics_calls_total',
  'traces_spanmetrics_latency_bucket',
  'traces_spanmetrics_duration_seconds_bucket',
];
