import { metricNames } from '../src';

describe('metric names in PromQL (what the dashboard checks rely on)', () => {
  it('when a query aggregates, groups and takes quantiles, then only the metrics are names', () => {
    expect(
      metricNames(
        'histogram_quantile(0.95, sum by (le, service_name) (rate(traces_spanmetrics_duration_seconds_bucket{span_kind="SPAN_KIND_SERVER", service_name=~"$service"}[$__rate_interval])))',
      ),
    ).toEqual(['traces_spanmetrics_duration_seconds_bucket']);
  });

  it('when a query combines metrics with operators and offsets, then it finds each of them', () => {
    expect(
      metricNames(
        'sum(rate(a_total[5m] offset 1h)) / on(job) group_left(x) sum(b_count) > bool 0 or vector(1) unless c',
      ).sort(),
    ).toEqual(['a_total', 'b_count', 'c']);
  });

  it('when a metric is only named inside a string or a label matcher, then it is not a metric read', () => {
    expect(metricNames('sum(x{name="not_a_metric", le=~"1e3|+Inf"}) * 1e3')).toEqual(['x']);
  });

  it('when a Grafana variable query lists label values, then the metric is the first argument', () => {
    expect(metricNames('label_values(traces_spanmetrics_calls_total, service_name)')).toEqual([
      'traces_spanmetrics_calls_total',
    ]);
  });
});
