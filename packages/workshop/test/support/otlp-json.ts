/*
 * Builds OTLP/JSON export requests by hand (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding),
 * to send the collector exactly the data a test needs, e.g. a span carrying a secret.
 */
import { randomBytes } from 'node:crypto';

type AnyValue =
  | { stringValue: string }
  | { intValue: string }
  | { arrayValue: { values: AnyValue[] } };

export type Attributes = Record<string, string | number | string[]>;

function toAnyValue(value: string | number | string[]): AnyValue {
  if (Array.isArray(value))
    return { arrayValue: { values: value.map((v) => ({ stringValue: v })) } };
  return typeof value === 'number' ? { intValue: String(value) } : { stringValue: value };
}

const keyValues = (attributes: Attributes) =>
  Object.entries(attributes).map(([key, value]) => ({ key, value: toAnyValue(value) }));

const resource = (serviceName: string) => ({
  attributes: keyValues({ 'service.name': serviceName }),
});

export const randomTraceId = () => randomBytes(16).toString('hex');
export const randomSpanId = () => randomBytes(8).toString('hex');

/** One finished SERVER span of `serviceName`, as an ExportTraceServiceRequest. */
export function traceRequest(options: {
  serviceName: string;
  traceId: string;
  spanId: string;
  name: string;
  attributes: Attributes;
}) {
  const end = BigInt(Date.now()) * 1_000_000n;
  return {
    resourceSpans: [
      {
        resource: resource(options.serviceName),
        scopeSpans: [
          {
            scope: { name: 'mesh-workshop-test' },
            spans: [
              {
                traceId: options.traceId,
                spanId: options.spanId,
                name: options.name,
                kind: 2, // SERVER
                startTimeUnixNano: String(end - 5_000_000n),
                endTimeUnixNano: String(end),
                attributes: keyValues(options.attributes),
              },
            ],
          },
        ],
      },
    ],
  };
}

/**
 * A call from `client` to `server` that failed: the client's CLIENT span and, as its child, the
 * server's SERVER span, both with status ERROR. The pair a service graph counts as a failed edge.
 */
export function failedCallRequest(options: { client: string; server: string; traceId: string }) {
  const end = BigInt(Date.now()) * 1_000_000n;
  const clientSpanId = randomSpanId();
  const span = (kind: number, spanId: string, parentSpanId?: string) => ({
    traceId: options.traceId,
    spanId,
    ...(parentSpanId ? { parentSpanId } : {}),
    name: 'POST /fail',
    kind,
    startTimeUnixNano: String(end - 5_000_000n),
    endTimeUnixNano: String(end),
    status: { code: 2 }, // ERROR
  });
  const side = (serviceName: string, spans: unknown[]) => ({
    resource: resource(serviceName),
    scopeSpans: [{ scope: { name: 'mesh-workshop-test' }, spans }],
  });
  return {
    resourceSpans: [
      side(options.client, [span(3 /* CLIENT */, clientSpanId)]),
      side(options.server, [span(2 /* SERVER */, randomSpanId(), clientSpanId)]),
    ],
  };
}

/** One log record of `serviceName` inside the given span, as an ExportLogsServiceRequest. */
export function logsRequest(options: {
  serviceName: string;
  traceId: string;
  spanId: string;
  body: string;
  attributes: Attributes;
}) {
  const now = String(BigInt(Date.now()) * 1_000_000n);
  return {
    resourceLogs: [
      {
        resource: resource(options.serviceName),
        scopeLogs: [
          {
            scope: { name: 'mesh-workshop-test' },
            logRecords: [
              {
                timeUnixNano: now,
                observedTimeUnixNano: now,
                severityNumber: 9, // INFO
                severityText: 'info',
                body: { stringValue: options.body },
                attributes: keyValues(options.attributes),
                traceId: options.traceId,
                spanId: options.spanId,
              },
            ],
          },
        ],
      },
    ],
  };
}

/**
 * One data point of each metric, with attributes and units as given, as an
 * ExportMetricsServiceRequest without a service: what a receiver in the collector itself (not a
 * service) produces. Sums are cumulative and not monotonic, like the counts of things a scraper
 * reports.
 */
export function metricsRequest(
  metrics: readonly {
    name: string;
    unit: string;
    type: 'gauge' | 'sum';
    value: number;
    attributes: Attributes;
  }[],
) {
  const now = String(BigInt(Date.now()) * 1_000_000n);
  const point = (value: number, attributes: Attributes) => ({
    timeUnixNano: now,
    asInt: String(value),
    attributes: keyValues(attributes),
  });
  return {
    resourceMetrics: [
      {
        resource: { attributes: [] },
        scopeMetrics: [
          {
            scope: { name: 'mesh-workshop-test' },
            metrics: metrics.map(({ name, unit, type, value, attributes }) =>
              type === 'gauge'
                ? { name, unit, gauge: { dataPoints: [point(value, attributes)] } }
                : {
                    name,
                    unit,
                    sum: {
                      aggregationTemporality: 2, // CUMULATIVE
                      isMonotonic: false,
                      dataPoints: [point(value, attributes)],
                    },
                  },
            ),
          },
        ],
      },
    ],
  };
}

/** POSTs an OTLP/JSON request to `<endpoint>/v1/<signal>` and fails unless it is accepted. */
export async function sendOtlpJson(
  endpoint: string,
  signal: 'traces' | 'logs' | 'metrics',
  body: unknown,
) {
  const response = await fetch(`${endpoint}/v1/${signal}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok)
    throw new Error(`OTLP ${signal} export got ${response.status}: ${await response.text()}`);
}
