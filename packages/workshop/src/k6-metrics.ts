/*
 * The series names k6 writes to Prometheus, for checking the k6 dashboard.
 *
 * k6 does not run in these tests (it needs the compose stack), so the names are derived the way
 * k6 derives them, from k6 v1.8.1 (the grafana/k6 image in docker-compose.yml):
 *   - the built-in metrics and their types: metrics/builtin.go;
 *   - the remote-write naming: internal/output/prometheusrw/remotewrite/{remotewrite,trend}.go,
 *     prefix `k6_`; counters get `_total`, rates `_rate`, gauges nothing; trends, sent as
 *     native histograms (K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM=true in compose), get the
 *     base unit: `_seconds` for time.
 * Metrics the k6 scenarios define themselves are not known here; a dashboard that shows one
 * must add it to K6_SCENARIO_METRICS below.
 */

type K6MetricType = 'counter' | 'gauge' | 'rate' | 'trend';

/** k6's built-in metrics: name, type, and for trends whether the values are times. */
const BUILTIN: readonly [name: string, type: K6MetricType, time?: boolean][] = [
  ['vus', 'gauge'],
  ['vus_max', 'gauge'],
  ['iterations', 'counter'],
  ['iteration_duration', 'trend', true],
  ['dropped_iterations', 'counter'],
  ['checks', 'rate'],
  ['group_duration', 'trend', true],
  ['http_reqs', 'counter'],
  ['http_req_failed', 'rate'],
  ['http_req_duration', 'trend', true],
  ['http_req_blocked', 'trend', true],
  ['http_req_connecting', 'trend', true],
  ['http_req_tls_handshaking', 'trend', true],
  ['http_req_sending', 'trend', true],
  ['http_req_waiting', 'trend', true],
  ['http_req_receiving', 'trend', true],
  ['data_sent', 'counter'],
  ['data_received', 'counter'],
];

/** Metrics defined by the k6 scenarios in k6/ that dashboards may show. */
export const K6_SCENARIO_METRICS: readonly string[] = [];

function seriesName(name: string, type: K6MetricType, time = false): string {
  switch (type) {
    case 'counter':
      return `k6_${name}_total`;
    case 'rate':
      return `k6_${name}_rate`;
    case 'gauge':
      return `k6_${name}`;
    case 'trend':
      return time ? `k6_${name}_seconds` : `k6_${name}`;
  }
}

/** Every series name k6's Prometheus remote-write output produces for the built-in metrics. */
export function k6SeriesNames(): Set<string> {
  return new Set([
    ...BUILTIN.map(([name, type, time]) => seriesName(name, type, time)),
    ...K6_SCENARIO_METRICS,
  ]);
}
