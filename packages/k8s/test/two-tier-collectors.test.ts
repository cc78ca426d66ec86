import { randomBytes } from 'node:crypto';
import { type CapturedSpan, type OtlpCapture, startOtlpCapture } from '@mesh/otlp-capture';
import {
  chartCollectorConfig,
  freePort,
  type Manifest,
  type RunningCollector,
  renderedManifests,
  startCollector,
} from '@mesh/workshop';

/*
 * The chart's two collector tiers run natively (the collector built from
 * infra/otel-collector/builder-config.yaml): one agent with the agent config and two gateway
 * collectors with the gateway config, all as `helm template` renders them, with the baseline
 * sampling share at 0 (errors and slow traces are still kept). What changes for a laptop:
 *   - every listener moves to a free port on 127.0.0.1;
 *   - the agent's load_balancing exporter finds the two gateways through a static list instead of
 *     the headless Service's DNS, and its metrics/logs exporter points at the first gateway;
 *   - k8s_attributes runs in passthrough mode (it tags the pod IP of the connection), since
 *     there is no Kubernetes API to ask here: the one setting changed that is not an endpoint;
 *   - each gateway's Tempo exporter points at its own OTLP/gRPC stand-in (one relay collector
 *     with two receivers), which forwards to an OTLP capture per gateway, so the test knows which
 *     gateway exported each span (the relay copies the resource attributes the agent adds onto
 *     the spans, which is all the capture reports); Loki's exporter goes to the same capture.
 * Then traces are sent to the agent as separate export requests, one per "service", a second
 * apart, so their spans reach the agent in different batches.
 */

const SAMPLING_PERCENT = 0;
/** k8s_attributes (in passthrough: the connection's IP) and resource_detection (env). */
const RESOURCE_ATTRIBUTES_ADDED_BY_AGENT = ['k8s.pod.ip', 'k8s.cluster.name'];
const TRACES_PER_KIND = 12;

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface TestTrace {
  traceId: string;
  kind: 'error' | 'slow' | 'fast';
  spans: {
    service: string;
    spanId: string;
    parentSpanId?: string;
    error: boolean;
    startNs: bigint;
    endNs: bigint;
  }[];
}

/**
 * gateway → order → payment, timed as one request (the root 20 ms, or 900 ms when slow, the
 * others nested inside it) whatever later the spans are sent; the error, when there is one, is
 * payment's, which is sent last.
 */
function testTrace(kind: TestTrace['kind']): TestTrace {
  const [root, order, payment] = [hex(8), hex(8), hex(8)];
  const ms = (value: number) => BigInt(value) * 1_000_000n;
  const start = BigInt(Date.now()) * 1_000_000n;
  const rootMs = kind === 'slow' ? 900 : 20;
  return {
    traceId: hex(16),
    kind,
    spans: [
      { service: 'gateway', spanId: root, error: false, startNs: start, endNs: start + ms(rootMs) },
      {
        service: 'order',
        spanId: order,
        parentSpanId: root,
        error: false,
        startNs: start + ms(2),
        endNs: start + ms(14),
      },
      {
        service: 'payment',
        spanId: payment,
        parentSpanId: order,
        error: kind === 'error',
        startNs: start + ms(4),
        endNs: start + ms(10),
      },
    ],
  };
}

/** One OTLP/JSON export request holding `service`'s span of each trace. */
function exportRequest(service: string, traces: TestTrace[]) {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [
          {
            scope: { name: 'mesh-k8s-test' },
            spans: traces.flatMap((trace) =>
              trace.spans
                .filter((span) => span.service === service)
                .map((span) => ({
                  traceId: trace.traceId,
                  spanId: span.spanId,
                  ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
                  name: `${service} work`,
                  kind: 2, // SERVER
                  startTimeUnixNano: String(span.startNs),
                  endTimeUnixNano: String(span.endNs),
                  status: { code: span.error ? 2 : 1 }, // ERROR : OK
                })),
            ),
          },
        ],
      },
    ],
  };
}

/** A collector's health check and OTLP receiver on local ports, over the chart's addresses. */
function localListeners(health: number, grpc: number, http: number) {
  return {
    extensions: { health_check: { endpoint: `127.0.0.1:${health}` } },
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: `127.0.0.1:${grpc}` },
          http: { endpoint: `127.0.0.1:${http}` },
        },
      },
    },
  };
}

/** The value of `name` in a rendered container's env. */
function envOf(manifests: Manifest[], deployment: string, name: string): string {
  const found = manifests.find((m) => m.kind === 'Deployment' && m.metadata.name === deployment) as
    | {
        spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } };
      }
    | undefined;
  const value = found?.spec.template.spec.containers[0]?.env.find((e) => e.name === name)?.value;
  if (value === undefined) throw new Error(`${deployment} sets no ${name}`);
  return value;
}

describe("the chart's agent and gateway collectors, run natively", () => {
  const running: RunningCollector[] = [];
  const captures: OtlpCapture[] = [];
  const traces = [
    ...Array.from({ length: TRACES_PER_KIND }, () => testTrace('error')),
    ...Array.from({ length: 2 }, () => testTrace('slow')),
    ...Array.from({ length: TRACES_PER_KIND }, () => testTrace('fast')),
  ];
  /** Per gateway (0, 1): the spans its Tempo exporter sent. */
  let exported: CapturedSpan[][];

  beforeAll(async () => {
    const manifests = renderedManifests([], [`otelGateway.samplingPercent=${SAMPLING_PERCENT}`]);
    const agentConfig = chartCollectorConfig(manifests, 'otel-agent');
    const gatewayConfig = chartCollectorConfig(manifests, 'otel-gateway');
    const gatewayEnv = {
      MESH_TRACE_SAMPLING_PERCENT: envOf(
        manifests,
        'mesh-otel-gateway',
        'MESH_TRACE_SAMPLING_PERCENT',
      ),
    };
    expect(gatewayEnv.MESH_TRACE_SAMPLING_PERCENT).toBe(String(SAMPLING_PERCENT));

    try {
      captures.push(await startOtlpCapture(), await startOtlpCapture());

      // Tempo's stand-ins: OTLP/gRPC in (as Tempo), one receiver and capture per gateway.
      const [relayA, relayB, relayHealth] = await Promise.all([freePort(), freePort(), freePort()]);
      running.push(
        await startCollector({
          configs: [
            {
              extensions: { health_check: { endpoint: `127.0.0.1:${relayHealth}` } },
              receivers: {
                'otlp/a': { protocols: { grpc: { endpoint: `127.0.0.1:${relayA}` } } },
                'otlp/b': { protocols: { grpc: { endpoint: `127.0.0.1:${relayB}` } } },
              },
              // The capture reports span attributes only: copy the resource attributes the
              // agent adds onto the spans, so the test can see them.
              processors: {
                transform: {
                  trace_statements: [
                    {
                      context: 'span',
                      statements: RESOURCE_ATTRIBUTES_ADDED_BY_AGENT.map(
                        (key) =>
                          `set(span.attributes["resource.${key}"], resource.attributes["${key}"])`,
                      ),
                    },
                  ],
                },
              },
              exporters: {
                'otlp_http/a': { endpoint: captures[0]?.url, encoding: 'json' },
                'otlp_http/b': { endpoint: captures[1]?.url, encoding: 'json' },
              },
              service: {
                extensions: ['health_check'],
                telemetry: { metrics: { level: 'none' } },
                pipelines: {
                  'traces/a': {
                    receivers: ['otlp/a'],
                    processors: ['transform'],
                    exporters: ['otlp_http/a'],
                  },
                  'traces/b': {
                    receivers: ['otlp/b'],
                    processors: ['transform'],
                    exporters: ['otlp_http/b'],
                  },
                },
              },
            },
          ],
          healthUrl: `http://127.0.0.1:${relayHealth}/`,
        }),
      );

      const gatewayGrpc: number[] = [];
      for (const [index, relay] of [relayA, relayB].entries() as Iterable<[number, number]>) {
        const [grpc, http, prometheus, telemetry, health] = (await Promise.all(
          [1, 2, 3, 4, 5].map(() => freePort()),
        )) as [number, number, number, number, number];
        gatewayGrpc.push(grpc);
        running.push(
          await startCollector({
            configs: [
              gatewayConfig,
              {
                ...localListeners(health, grpc, http),
                exporters: {
                  'otlp_grpc/tempo': { endpoint: `127.0.0.1:${relay}` },
                  'otlp_http/loki': { endpoint: captures[index]?.url, encoding: 'json' },
                  prometheus: { endpoint: `127.0.0.1:${prometheus}` },
                },
                service: {
                  telemetry: {
                    metrics: {
                      readers: [
                        {
                          pull: {
                            exporter: { prometheus: { host: '127.0.0.1', port: telemetry } },
                          },
                        },
                      ],
                    },
                  },
                },
              },
            ],
            env: gatewayEnv,
            healthUrl: `http://127.0.0.1:${health}/`,
          }),
        );
      }

      const agent = structuredClone(agentConfig) as {
        exporters: Record<string, Record<string, unknown>>;
        processors: Record<string, Record<string, unknown>>;
      };
      const loadBalancing = agent.exporters.load_balancing as { resolver: unknown };
      loadBalancing.resolver = {
        static: { hostnames: gatewayGrpc.map((port) => `127.0.0.1:${port}`) },
      };
      agent.exporters['otlp_grpc/gateway'] = {
        ...agent.exporters['otlp_grpc/gateway'],
        endpoint: `127.0.0.1:${gatewayGrpc[0]}`,
      };
      agent.processors.k8s_attributes = { ...agent.processors.k8s_attributes, passthrough: true };
      const [agentGrpc, agentHttp, agentTelemetry, agentHealth] = (await Promise.all(
        [1, 2, 3, 4].map(() => freePort()),
      )) as [number, number, number, number];
      running.push(
        await startCollector({
          configs: [
            agent,
            {
              ...localListeners(agentHealth, agentGrpc, agentHttp),
              service: {
                telemetry: {
                  metrics: {
                    readers: [
                      {
                        pull: {
                          exporter: { prometheus: { host: '127.0.0.1', port: agentTelemetry } },
                        },
                      },
                    ],
                  },
                },
              },
            },
          ],
          // As the DaemonSet sets them.
          env: { K8S_NODE_NAME: 'node-1', OTEL_RESOURCE_ATTRIBUTES: 'k8s.cluster.name=mesh' },
          healthUrl: `http://127.0.0.1:${agentHealth}/`,
        }),
      );

      // Each service's spans in its own export request, a batch timeout (1 s) apart, so the
      // root of every trace reaches the gateways before its payment span (the error).
      for (const service of ['gateway', 'order', 'payment']) {
        const response = await fetch(`http://127.0.0.1:${agentHttp}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(exportRequest(service, traces)),
        });
        expect(response.status).toBe(200);
        await sleep(1_500);
      }

      const kept = traces.filter((trace) => trace.kind !== 'fast');
      const arrived = () => captures.flatMap((capture) => capture.spans());
      // decision_wait (5 s) after the last span, plus the batches on the way.
      await captures[0]?.waitFor(
        () =>
          arrived().filter((s) => kept.some((t) => t.traceId === s.traceId)).length >=
          kept.length * 3,
        { timeoutMs: 30_000, what: 'every span of the kept traces' },
      );
      // The fast traces were decided in the same ticks as the kept ones; give any stray span
      // time to show up before asserting there is none.
      await sleep(3_000);
      exported = captures.map((capture) => capture.spans());
    } catch (error) {
      const logs = running.map((collector) => collector.output()).join('\n-----\n');
      throw new Error(`${String(error)}\ncollector output:\n${logs.slice(-8_000)}`);
    }
  }, 90_000);

  afterAll(async () => {
    for (const collector of running.reverse()) await collector.stop();
    for (const capture of captures) await capture.close();
  });

  const gatewaysOf = (traceId: string) =>
    exported.flatMap((spans, gateway) =>
      spans.some((s) => s.traceId === traceId) ? [gateway] : [],
    );

  it("when traces arrive at the agent in separate batches, then every trace's spans reach exactly one gateway collector", () => {
    const exportedTraceIds = new Set(exported.flat().map((span) => span.traceId));
    expect(exportedTraceIds.size).toBeGreaterThan(0);
    for (const traceId of exportedTraceIds) {
      expect({ traceId, gateways: gatewaysOf(traceId).length }).toEqual({ traceId, gateways: 1 });
    }
  });

  it('when many traces pass, then both gateway collectors get some', () => {
    expect(exported.map((spans) => new Set(spans.map((s) => s.traceId)).size)).toEqual([
      expect.any(Number),
      expect.any(Number),
    ]);
    for (const spans of exported) expect(spans.length).toBeGreaterThan(0);
  });

  it("when a trace's error span arrives in a later batch than its root, then tail sampling keeps the whole trace", () => {
    for (const trace of traces.filter((t) => t.kind === 'error')) {
      const spans = exported.flat().filter((span) => span.traceId === trace.traceId);
      expect({ traceId: trace.traceId, spans: spans.map((s) => s.spanId).sort() }).toEqual({
        traceId: trace.traceId,
        spans: trace.spans.map((s) => s.spanId).sort(),
      });
      // exactly once: no span was exported twice by two decisions
      expect(spans).toHaveLength(3);
    }
  });

  it('when a trace is slower than the latency threshold, then it is kept whole; when it is fast and OK, then it is dropped', () => {
    for (const trace of traces.filter((t) => t.kind === 'slow')) {
      expect(exported.flat().filter((s) => s.traceId === trace.traceId)).toHaveLength(3);
    }
    const fastIds = new Set(traces.filter((t) => t.kind === 'fast').map((t) => t.traceId));
    expect(exported.flat().filter((span) => fastIds.has(span.traceId))).toEqual([]);
  });

  it('when spans pass the agent, then k8s_attributes and resource_detection have added to their resource', () => {
    const spans = exported.flat();
    expect(spans.length).toBeGreaterThan(0);
    for (const span of spans) {
      expect(span.attributes).toMatchObject({
        'resource.k8s.pod.ip': '127.0.0.1',
        'resource.k8s.cluster.name': 'mesh',
      });
    }
  });
});
