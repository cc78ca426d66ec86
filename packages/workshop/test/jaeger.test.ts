import { readFileSync } from 'node:fs';
import { API_KEY, type Stack, startStack } from '@mesh/e2e';
import { startKafka, startPostgres, startRedis, uniqueName } from '@mesh/testkit';
import { parse } from 'yaml';
import {
  bindMounts,
  COLLECTOR_CONFIG,
  COLLECTOR_JAEGER_CONFIG,
  type ComposeFile,
  type ComposeService,
  freePort,
  JAEGER_CONFIG,
  publishedPorts,
  type RunningCollector,
  repoPath,
  runTool,
  startCollector,
} from '../src';

const OVERLAY = repoPath('docker-compose.jaeger.yml');

/** The overlay merged over docker-compose.yml by compose-go, as `docker compose -f -f` does. */
function mergedProject(): { status: number; output: string; project?: ComposeFile } {
  const run = runTool('compose-check', [repoPath('docker-compose.yml'), OVERLAY]);
  return run.status === 0
    ? { status: 0, output: '', project: JSON.parse(run.stdout) as ComposeFile }
    : { status: run.status, output: run.output };
}

describe('docker-compose.jaeger.yml over docker-compose.yml', () => {
  const merged = mergedProject();
  const services = merged.project?.services ?? {};

  it('when both files are loaded by compose-go, then they merge into a valid project', () => {
    expect({ status: merged.status, output: merged.output }).toEqual({ status: 0, output: '' });
  });

  it('when merged, then Jaeger runs its release from scripts/jaeger.sh with its configuration mounted', () => {
    const built = /^JAEGER_VERSION=(.+)$/m.exec(
      readFileSync(repoPath('scripts', 'jaeger.sh'), 'utf8'),
    );
    expect(services.jaeger?.image).toBe(`jaegertracing/jaeger:${built?.[1]}`);
    expect(bindMounts(services.jaeger as ComposeService).map((mount) => mount.target)).toContain(
      '/etc/jaeger/config.yaml',
    );
    expect(publishedPorts(services.jaeger as ComposeService)).toEqual([
      expect.objectContaining({ hostIp: '127.0.0.1', published: '16686' }),
    ]);
  });

  it('when merged, then the collector still loads config.yaml and kafka.yaml, and jaeger.yaml after them', () => {
    const collector = services['otel-collector'] as ComposeService & { command?: string[] };
    expect(collector.command).toEqual([
      '--config=/etc/otelcol-contrib/config.yaml',
      '--config=/etc/otelcol-contrib/kafka.yaml',
      '--config=/etc/otelcol-contrib/jaeger.yaml',
    ]);
    expect(bindMounts(collector).map((mount) => mount.target)).toEqual(
      expect.arrayContaining([
        '/etc/otelcol-contrib/config.yaml',
        '/etc/otelcol-contrib/jaeger.yaml',
      ]),
    );
  });

  it("when merged, then Grafana's Jaeger data source is mounted over the placeholder, with links to Loki", () => {
    const grafana = services.grafana as ComposeService;
    const mount = bindMounts(grafana).find(
      (entry) => entry.target === '/etc/grafana/provisioning/datasources/jaeger.yaml',
    );
    expect(mount).toBeDefined();
    const placeholder = parse(
      readFileSync(
        repoPath('infra', 'grafana', 'provisioning', 'datasources', 'jaeger.yaml'),
        'utf8',
      ),
    );
    expect(placeholder).toEqual({ apiVersion: 1 });
    const provisioned = parse(
      readFileSync(repoPath('infra', 'grafana', 'jaeger', 'datasource.yaml'), 'utf8'),
    );
    expect(provisioned.datasources).toEqual([
      expect.objectContaining({
        type: 'jaeger',
        uid: 'jaeger',
        url: 'http://jaeger:16686',
        jsonData: expect.objectContaining({
          tracesToLogsV2: expect.objectContaining({ datasourceUid: 'loki' }),
        }),
      }),
    ]);
  });
});

interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  processID: string;
  references: { refType: string; spanID: string }[];
  tags: { key: string; value: unknown }[];
}
interface JaegerTrace {
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

describe('Jaeger built natively, fed by the collector running config.yaml with jaeger.yaml', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  let jaeger: RunningCollector;
  let collector: RunningCollector;
  let stack: Stack;
  let queryUrl: string;

  beforeAll(async () => {
    try {
      const [postgres, redis, kafka] = await Promise.all([
        startPostgres(),
        startRedis(),
        startKafka(),
      ]);
      cleanup.push(
        () => postgres.stop(),
        () => redis.stop(),
        () => kafka.stop(),
      );

      // Jaeger with infra/jaeger/config.yaml, its listeners moved to free ports on 127.0.0.1.
      const [otlp, http, grpc, health] = await Promise.all([1, 2, 3, 4].map(() => freePort()));
      jaeger = await startCollector({
        binary: 'jaeger',
        configs: [
          JAEGER_CONFIG,
          {
            extensions: {
              jaeger_query: {
                http: { endpoint: `127.0.0.1:${http}` },
                grpc: { endpoint: `127.0.0.1:${grpc}` },
              },
              healthcheckv2: { http: { endpoint: `127.0.0.1:${health}` } },
            },
            receivers: { otlp: { protocols: { grpc: { endpoint: `127.0.0.1:${otlp}` } } } },
          },
        ],
        healthUrl: `http://127.0.0.1:${health}/status`,
        timeoutMs: 60_000,
      });
      cleanup.push(() => jaeger.stop());
      queryUrl = `http://127.0.0.1:${http}`;

      const [collectorGrpc, collectorHttp, prometheus, telemetry, collectorHealth, nowhere] =
        await Promise.all([1, 2, 3, 4, 5, 6].map(() => freePort()));
      collector = await startCollector({
        configs: [
          COLLECTOR_CONFIG,
          COLLECTOR_JAEGER_CONFIG,
          {
            extensions: { health_check: { endpoint: `127.0.0.1:${collectorHealth}` } },
            receivers: {
              otlp: {
                protocols: {
                  grpc: { endpoint: `127.0.0.1:${collectorGrpc}` },
                  http: { endpoint: `127.0.0.1:${collectorHttp}` },
                },
              },
            },
            exporters: {
              'otlp_grpc/jaeger': { endpoint: `127.0.0.1:${otlp}` },
              // Tempo and Loki are not here: their exports fail fast and change nothing else.
              'otlp_grpc/tempo': {
                endpoint: `127.0.0.1:${nowhere}`,
                retry_on_failure: { enabled: false },
                sending_queue: { enabled: false },
              },
              'otlp_http/loki': {
                endpoint: `http://127.0.0.1:${nowhere}`,
                retry_on_failure: { enabled: false },
                sending_queue: { enabled: false },
              },
              prometheus: { endpoint: `127.0.0.1:${prometheus}` },
            },
            service: {
              telemetry: {
                metrics: {
                  readers: [
                    { pull: { exporter: { prometheus: { host: '127.0.0.1', port: telemetry } } } },
                  ],
                },
              },
            },
          },
        ],
        healthUrl: `http://127.0.0.1:${collectorHealth}/`,
      });
      cleanup.push(() => collector.stop());

      stack = await startStack({
        databaseUrl: postgres.url,
        redisUrl: redis.url,
        redisKeyPrefix: redis.keyPrefix,
        kafkaBrokers: kafka.brokers,
        kafkaPrefix: `${uniqueName('jaeger')}.`,
        // OTLP/protobuf, the SDK default, as in compose.
        otlpEndpoint: `http://127.0.0.1:${collectorHttp}`,
      });
      cleanup.push(() => stack.stop());
    } catch (error) {
      for (const step of cleanup.reverse()) await step().catch(() => undefined);
      cleanup.length = 0;
      throw error;
    }
  }, 240_000);

  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  });

  /** The trace as Jaeger's HTTP API returns it, once it holds what `complete` asks for. */
  async function traceFromJaeger(
    traceId: string,
    complete: (trace: JaegerTrace) => boolean,
  ): Promise<JaegerTrace> {
    const deadline = Date.now() + 60_000;
    let last: JaegerTrace | undefined;
    while (Date.now() < deadline) {
      const response = await fetch(`${queryUrl}/api/traces/${traceId}`);
      if (response.ok) {
        const body = (await response.json()) as { data: JaegerTrace[] };
        last = body.data[0];
        if (last && complete(last)) return last;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const seen = last ? last.spans.map((span) => span.operationName).join(', ') : 'nothing';
    throw new Error(`trace ${traceId} never complete in Jaeger; it had: ${seen}`);
  }

  it('when an order is placed, then Jaeger holds its whole trace: five services, the Kafka hop, one root', async () => {
    const products = await fetch(`${stack.gatewayUrl}/api/products`, {
      headers: { 'x-api-key': API_KEY },
    });
    const list = (await products.json()) as { items?: { sku: string; stock: number }[] };
    const sku = [...(list.items ?? [])].sort((a, b) => b.stock - a.stock)[0]?.sku;
    expect(sku).toBeDefined();
    const placed = await fetch(`${stack.gatewayUrl}/api/orders`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ customerId: 'jaeger-test', items: [{ sku, quantity: 1 }] }),
    });
    expect(placed.status).toBe(201);
    const traceId = placed.headers.get('x-trace-id') ?? '';
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    const services = (trace: JaegerTrace) =>
      new Set(trace.spans.map((span) => trace.processes[span.processID]?.serviceName));
    const kinds = (trace: JaegerTrace) =>
      new Set(trace.spans.map((span) => span.tags.find((tag) => tag.key === 'span.kind')?.value));
    const consumers = (trace: JaegerTrace) =>
      trace.spans.filter(
        (span) => span.tags.find((tag) => tag.key === 'span.kind')?.value === 'consumer',
      );
    const trace = await traceFromJaeger(
      traceId,
      (candidate) => services(candidate).size === 5 && consumers(candidate).length >= 2,
    );

    expect([...services(trace)].sort()).toEqual([
      'gateway',
      'inventory',
      'notification',
      'order',
      'payment',
    ]);
    expect(kinds(trace)).toEqual(new Set(['server', 'client', 'producer', 'consumer', 'internal']));
    // One root (the gateway's request); every other span's parent is in the trace.
    const ids = new Set(trace.spans.map((span) => span.spanID));
    const roots = trace.spans.filter(
      (span) => !span.references.some((ref) => ref.refType === 'CHILD_OF' && ids.has(ref.spanID)),
    );
    expect(roots.map((span) => trace.processes[span.processID]?.serviceName)).toEqual(['gateway']);
    // Both consumers, across the Kafka hop, are in this trace.
    expect(
      new Set(consumers(trace).map((span) => trace.processes[span.processID]?.serviceName)),
    ).toEqual(new Set(['inventory', 'notification']));
  }, 120_000);
});
