/*
 * The consumer-group metrics of the OpenTelemetry Collector's kafkametrics receiver, which
 * infra/otel-collector/kafka.yaml runs in compose. The receiver cannot be built for the tests
 * (see that file), so what it emits is taken from its documentation: documentation.md, which
 * mdatagen generates from the receiver's metadata.yaml
 * (https://github.com/open-telemetry/opentelemetry-collector-contrib/blob/main/receiver/kafkametricsreceiver/documentation.md),
 * as of the pinned release. The tests send these metrics, shaped as documented, through the
 * collector's pipeline and read the Prometheus names that come out.
 */

export interface DocumentedMetric {
  /** The OpenTelemetry name, e.g. kafka.consumer_group.lag. */
  name: string;
  /** UCUM unit as documented: "1" for a plain number, {annotation} for a count of things. */
  unit: string;
  type: 'gauge' | 'sum';
  attributes: readonly ('group' | 'topic' | 'partition')[];
}

/** What the `consumers` scraper emits, one entry per metric. */
export const KAFKAMETRICS_CONSUMER_METRICS: readonly DocumentedMetric[] = [
  { name: 'kafka.consumer_group.members', unit: '{members}', type: 'sum', attributes: ['group'] },
  {
    name: 'kafka.consumer_group.offset',
    unit: '1',
    type: 'gauge',
    attributes: ['group', 'topic', 'partition'],
  },
  {
    name: 'kafka.consumer_group.offset_sum',
    unit: '1',
    type: 'gauge',
    attributes: ['group', 'topic'],
  },
  {
    name: 'kafka.consumer_group.lag',
    unit: '1',
    type: 'gauge',
    attributes: ['group', 'topic', 'partition'],
  },
  {
    name: 'kafka.consumer_group.lag_sum',
    unit: '1',
    type: 'gauge',
    attributes: ['group', 'topic'],
  },
];

/** The receiver's settings as its README documents them (top-level keys). */
export const KAFKAMETRICS_SETTINGS: readonly string[] = [
  'scrapers',
  'cluster_alias',
  'protocol_version',
  'brokers',
  'resolve_canonical_bootstrap_servers_only',
  'topic_match',
  'group_match',
  'client_id',
  'collection_interval',
  'initial_delay',
  'tls',
  'auth',
  'metadata',
];

/** The scrapers the receiver has (README, "Required settings"). */
export const KAFKAMETRICS_SCRAPERS: readonly string[] = ['topics', 'consumers', 'brokers'];
