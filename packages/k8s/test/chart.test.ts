import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGatewayConfig } from '@mesh/gateway/dist/config';
import { readConfig as loadInventoryConfig } from '@mesh/inventory/dist/config';
import { loadNotificationConfig } from '@mesh/notification/dist/config';
import { loadOrderConfig } from '@mesh/order/dist/config';
import { loadPaymentConfig } from '@mesh/payment/dist/config';
import { loadStorefrontConfig } from '@mesh/storefront/dist/config';
import {
  CHART_DEMO_VALUES,
  CHART_DIR,
  CHART_PRODUCTION_VALUES,
  COLLECTOR_CONFIG,
  chartCollectorConfig,
  type Manifest,
  renderChart,
  renderedManifests,
  repoPath,
  runTool,
  validateCollectorConfig,
} from '@mesh/workshop';
import { parse, stringify } from 'yaml';
import { kubeconform, podSpecOf, policyViolations } from '../src';

/*
 * The Helm chart checked without a cluster, for its default values and the production-like
 * ones: helm lint, every rendered manifest against the Kubernetes schemas (kubeconform), and the
 * chart's own rules written as tests.
 */

const RENDERS = {
  default: [] as string[],
  demo: [CHART_DEMO_VALUES],
  production: [CHART_PRODUCTION_VALUES],
};
const SERVICES = ['gateway', 'order', 'payment', 'inventory', 'notification'] as const;
type ServiceName = (typeof SERVICES)[number];

/** The variables each service's src/config.ts reads: its loader's keys, with every default. */
const CONFIG_VARIABLES: Record<ServiceName, string[]> = {
  gateway: Object.keys(loadGatewayConfig({})),
  order: Object.keys(loadOrderConfig({})),
  payment: Object.keys(loadPaymentConfig({})),
  inventory: Object.keys(loadInventoryConfig({})),
  notification: Object.keys(loadNotificationConfig({})),
}; // (the gateway's loader adds derived camelCase fields; the variables are the upper-case keys)

/** The storefront's (off by default, on in the demo values). */
const STOREFRONT_VARIABLES = Object.keys(loadStorefrontConfig({})).filter(
  (key) => key !== 'browser',
);

/** Read by the OpenTelemetry SDK and Node itself rather than a config.ts. */
const isRuntimeVariable = (key: string) => key.startsWith('OTEL_') || key === 'NODE_OPTIONS';

/** infra/otel-collector/config.yaml, as parsed. */
const workshop = parse(readFileSync(COLLECTOR_CONFIG, 'utf8')) as Record<string, unknown>;

/** The object of that kind and name (typed by the caller, who knows its shape), if rendered. */
const find = (manifests: Manifest[], kind: string, name: string): unknown =>
  manifests.find((manifest) => manifest.kind === kind && manifest.metadata.name === name);

describe.each(Object.entries(RENDERS))('the chart with the %s values', (label, values) => {
  let manifests: Manifest[];
  beforeAll(() => {
    manifests = renderedManifests(values);
  });
  // The demo values turn the storefront on; the default and production ones leave it off.
  const withStorefront = label === 'demo';

  it('when helm lint --strict reads it, then it reports nothing wrong', () => {
    const run = runTool('helm', [
      'lint',
      '--strict',
      CHART_DIR,
      ...values.flatMap((file) => ['--values', file]),
    ]);
    expect({ status: run.status, output: run.output }).toEqual({
      status: 0,
      output: expect.stringContaining('1 chart(s) linted, 0 chart(s) failed'),
    });
  });

  it('when kubeconform checks every manifest against the pinned Kubernetes schemas, then all are valid and none skipped', () => {
    const result = kubeconform(manifests);
    const problems = result.resources.filter((resource) => resource.status !== 'statusValid');
    expect(problems).toEqual([]);
    expect(result.summary).toEqual({
      valid: manifests.length,
      invalid: 0,
      errors: 0,
      skipped: 0,
    });
    expect(result.status).toBe(0);
  });

  it('when every workload is checked against the rules, then none breaks one', () => {
    const workloads = manifests.filter((manifest) => podSpecOf(manifest) !== undefined);
    expect(workloads.map((w) => `${w.kind}/${w.metadata.name}`).sort()).toEqual(
      [
        ...SERVICES.map((name) => `Deployment/mesh-${name}`),
        'DaemonSet/mesh-otel-agent',
        'Deployment/mesh-otel-gateway',
        ...(withStorefront ? ['Deployment/mesh-storefront'] : []),
      ].sort(),
    );
    expect(policyViolations(manifests)).toEqual([]);
  });

  it('when each service ConfigMap is read, then it carries only variables its config.ts reads, and its credentials come from the Secret', () => {
    for (const name of SERVICES) {
      const configMap = find(manifests, 'ConfigMap', `mesh-${name}`) as
        | (Manifest & { data: Record<string, string> })
        | undefined;
      expect(configMap).toBeDefined();
      const keys = Object.keys(configMap?.data ?? {}).filter((key) => !isRuntimeVariable(key));
      expect({
        name,
        unknown: keys.filter((key) => !CONFIG_VARIABLES[name].includes(key)),
      }).toEqual({ name, unknown: [] });
      const container = podSpecOf(find(manifests, 'Deployment', `mesh-${name}`) as Manifest)
        ?.containers[0] as unknown as {
        env: { name: string; valueFrom?: { secretKeyRef?: { key: string } } }[];
      };
      const fromSecret = container.env.filter((variable) => variable.valueFrom?.secretKeyRef);
      expect(fromSecret.length).toBeGreaterThan(0);
      for (const variable of fromSecret) {
        expect(CONFIG_VARIABLES[name]).toContain(variable.name);
        // Credentials never sit in a ConfigMap as well.
        expect(Object.keys(configMap?.data ?? {})).not.toContain(variable.name);
      }
      expect(configMap?.data.OTEL_SERVICE_NAME).toBe(name);
    }
    const storefront = find(manifests, 'ConfigMap', 'mesh-storefront') as
      | { data: Record<string, string> }
      | undefined;
    expect(storefront !== undefined).toBe(withStorefront);
    const storefrontKeys = Object.keys(storefront?.data ?? {}).filter(
      (key) => !isRuntimeVariable(key),
    );
    expect(storefrontKeys.filter((key) => !STOREFRONT_VARIABLES.includes(key))).toEqual([]);
    if (storefront) expect(loadStorefrontConfig(storefront.data).PORT).toBe(8090);
  });

  it("when the storefront is on, then the gateway's CORS origin and both collector tiers' MESH_STOREFRONT_ORIGIN are its public origin, and the agents' OTLP/HTTP receiver applies it", () => {
    const gateway = find(manifests, 'ConfigMap', 'mesh-gateway') as {
      data: Record<string, string>;
    };
    const storefrontOriginOf = (kind: string, name: string) =>
      (
        podSpecOf(find(manifests, kind, name) as Manifest)?.containers[0] as unknown as
          | { env: { name: string; value?: string }[] }
          | undefined
      )?.env.find((variable) => variable.name === 'MESH_STOREFRONT_ORIGIN')?.value;
    const agentHttp = (
      chartCollectorConfig(manifests, 'otel-agent') as {
        receivers: { otlp: { protocols: { http: { cors?: { allowed_origins: string[] } } } } };
      }
    ).receivers.otlp.protocols.http;
    if (!withStorefront) {
      expect(gateway.data.CORS_ALLOWED_ORIGIN).toBeUndefined();
      expect(storefrontOriginOf('DaemonSet', 'mesh-otel-agent')).toBeUndefined();
      expect(agentHttp.cors).toBeUndefined();
      return;
    }
    const defaults = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as {
      storefront: { publicOrigin: string };
    };
    const origin = defaults.storefront.publicOrigin;
    expect(gateway.data.CORS_ALLOWED_ORIGIN).toBe(origin);
    // As the gateway itself reads it: one origin, accepted unchanged.
    expect(loadGatewayConfig(gateway.data).corsAllowedOrigin).toBe(origin);
    expect(storefrontOriginOf('DaemonSet', 'mesh-otel-agent')).toBe(origin);
    expect(storefrontOriginOf('Deployment', 'mesh-otel-gateway')).toBe(origin);
    // config.yaml's CORS block, which reads MESH_STOREFRONT_ORIGIN.
    const workshopReceivers = workshop.receivers as {
      otlp: { protocols: { http: { cors: unknown } } };
    };
    expect(agentHttp.cors).toEqual(workshopReceivers.otlp.protocols.http.cors);
    const storefront = find(manifests, 'ConfigMap', 'mesh-storefront') as {
      data: Record<string, string>;
    };
    // The page calls the gateway and the agents where the browser reaches them.
    expect(new URL(storefront.data.GATEWAY_PUBLIC_URL ?? '').origin).not.toBe(origin);
    expect(storefront.data.OTLP_TRACES_PUBLIC_URL).toMatch(/:4318\/v1\/traces$/);
    // The key the page sends is one the gateway accepts.
    const secret = find(manifests, 'Secret', 'mesh-credentials') as {
      stringData: Record<string, string>;
    };
    expect(secret.stringData.API_KEYS?.split(',')).toContain(storefront.data.STOREFRONT_API_KEY);
  });

  it('when the services are scaled, then gateway, order, inventory and payment autoscale on CPU, every Deployment has a disruption budget, and the consumers stay within the partitions', () => {
    const autoscalers = manifests.filter((m) => m.kind === 'HorizontalPodAutoscaler');
    expect(autoscalers.map((hpa) => hpa.metadata.name).sort()).toEqual(
      ['mesh-gateway', 'mesh-inventory', 'mesh-order', 'mesh-payment'].sort(),
    );
    for (const hpa of autoscalers) {
      const spec = hpa.spec as { metrics: { resource: { name: string } }[] };
      expect(spec.metrics.map((metric) => metric.resource.name)).toEqual(['cpu']);
    }
    const budgets = manifests
      .filter((m) => m.kind === 'PodDisruptionBudget')
      .map((m) => m.metadata.name);
    for (const deployment of manifests.filter((m) => m.kind === 'Deployment')) {
      expect(budgets).toContain(deployment.metadata.name);
    }
    const partitions = Number(
      (find(manifests, 'ConfigMap', 'mesh-inventory') as { data: Record<string, string> }).data
        .TOPIC_PARTITIONS,
    );
    const inventoryMax = (
      find(manifests, 'HorizontalPodAutoscaler', 'mesh-inventory') as {
        spec: { maxReplicas: number };
      }
    ).spec.maxReplicas;
    const notificationReplicas = (
      find(manifests, 'Deployment', 'mesh-notification') as {
        spec: { replicas: number };
      }
    ).spec.replicas;
    expect(inventoryMax).toBeLessThanOrEqual(partitions);
    expect(notificationReplicas).toBeLessThanOrEqual(partitions);
  });

  it('when the network policies are read, then every pod is covered and only the public endpoints admit callers from outside the release', () => {
    const policies = manifests.filter((m) => m.kind === 'NetworkPolicy') as (Manifest & {
      spec: {
        podSelector: { matchLabels: Record<string, string> };
        ingress: {
          from?: { podSelector?: unknown; namespaceSelector?: unknown }[];
          ports: { port: string }[];
        }[];
      };
    })[];
    const covered = policies.map((p) => p.spec.podSelector.matchLabels['app.kubernetes.io/name']);
    expect(covered.sort()).toEqual(
      [...SERVICES, 'otel-agent', 'otel-gateway', ...(withStorefront ? ['storefront'] : [])].sort(),
    );
    // Public: the gateway, and with the storefront on, the storefront and the agents' OTLP/HTTP
    // (the browser sends its spans there).
    const publicPorts: Record<string, string[]> = {
      gateway: ['http'],
      storefront: ['http'],
      'otel-agent': withStorefront ? ['otlp-http', 'metrics'] : ['metrics'],
    };
    for (const policy of policies) {
      const component = policy.spec.podSelector.matchLabels['app.kubernetes.io/name'];
      for (const rule of policy.spec.ingress) {
        const fromOutside =
          rule.from === undefined || rule.from.some((peer) => peer.podSelector === undefined);
        // Outside the release: the public ports above, and the collectors' metrics ports.
        if (fromOutside) {
          const ports = rule.ports.map((port) => port.port);
          const allowed = publicPorts[component ?? ''] ?? ['metrics', 'prometheus'];
          expect({ component, ports: ports.filter((port) => !allowed.includes(port)) }).toEqual({
            component,
            ports: [],
          });
        }
      }
    }
  });

  it('when the collector tiers are rendered, then the agent routes traces by trace id to at least two gateway collectors, and otelcol validate accepts both', () => {
    const agent = chartCollectorConfig(manifests, 'otel-agent') as {
      processors: Record<string, unknown>;
      exporters: { load_balancing: { routing_key: string; resolver: Record<string, unknown> } };
      service: { pipelines: Record<string, { processors: string[]; exporters: string[] }> };
    };
    expect(agent.exporters.load_balancing.routing_key).toBe('traceID');
    expect(agent.exporters.load_balancing.resolver).toEqual({
      dns: expect.objectContaining({
        hostname: 'mesh-otel-gateway-headless.shop.svc.cluster.local',
      }),
    });
    expect(agent.service.pipelines.traces).toEqual({
      receivers: ['otlp'],
      processors: ['memory_limiter', 'k8s_attributes', 'resource_detection', 'batch'],
      exporters: ['load_balancing'],
    });
    for (const pipeline of Object.values(agent.service.pipelines)) {
      expect(pipeline.processors[0]).toBe('memory_limiter');
    }
    const gateway = find(manifests, 'Deployment', 'mesh-otel-gateway') as {
      spec: { replicas: number };
    };
    expect(gateway.spec.replicas).toBeGreaterThanOrEqual(2);
    const headless = find(manifests, 'Service', 'mesh-otel-gateway-headless') as {
      spec: { clusterIP: string };
    };
    expect(headless.spec.clusterIP).toBe('None');
    const dir = mkdtempSync(join(tmpdir(), 'mesh-chart-collector-'));
    try {
      for (const tier of ['otel-agent', 'otel-gateway'] as const) {
        const file = join(dir, `${tier}.yaml`);
        writeFileSync(file, stringify(chartCollectorConfig(manifests, tier)));
        // As the DaemonSet sets it (k8s_attributes watches only this node's pods).
        const run = validateCollectorConfig([file], {
          PATH: process.env.PATH,
          K8S_NODE_NAME: 'node-1',
        });
        expect({ tier, status: run.status, output: run.output }).toEqual({
          tier,
          status: 0,
          output: '',
        });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the chart and infra/otel-collector/config.yaml', () => {
  it('when the chart carries copies of the collector config and the flag file, then they are identical to the originals', () => {
    const copies = [
      [COLLECTOR_CONFIG, `${CHART_DIR}/files/otel-collector.yaml`],
      [repoPath('infra', 'flags', 'mesh.flagd.json'), `${CHART_DIR}/files/mesh.flagd.json`],
    ];
    for (const [original, copy] of copies) {
      expect({ copy, text: readFileSync(copy as string, 'utf8') }).toEqual({
        copy,
        text: readFileSync(original as string, 'utf8'),
      });
    }
  });

  it("when the gateway collector config is rendered, then it is config.yaml with only the backends' endpoints changed, and the agent reuses its memory_limiter and batch", () => {
    const manifests = renderedManifests([CHART_PRODUCTION_VALUES]);
    const gateway = chartCollectorConfig(manifests, 'otel-gateway') as {
      exporters: Record<string, Record<string, unknown>>;
    };
    expect(gateway.exporters['otlp_grpc/tempo']?.endpoint).toBe(
      'tempo-distributor.observability:4317',
    );
    expect(gateway.exporters['otlp_http/loki']?.endpoint).toBe(
      'https://loki-gateway.observability/otlp',
    );
    const expected = structuredClone(workshop) as typeof gateway;
    const backends = {
      'otlp_grpc/tempo': {
        endpoint: 'tempo-distributor.observability:4317',
        tls: { insecure: false },
      },
      'otlp_http/loki': { endpoint: 'https://loki-gateway.observability/otlp' },
    };
    for (const [id, settings] of Object.entries(backends)) {
      expected.exporters[id] = { ...expected.exporters[id], ...settings };
    }
    expect(gateway).toEqual(expected);

    const agent = chartCollectorConfig(manifests, 'otel-agent') as {
      processors: Record<string, unknown>;
    };
    const processors = workshop.processors as Record<string, unknown>;
    expect(agent.processors.memory_limiter).toEqual(processors.memory_limiter);
    expect(agent.processors.batch).toEqual(processors.batch);
  });
});

describe('what the chart refuses', () => {
  it('when more consumer replicas than partitions are asked for, or one gateway collector, or the latest tag, then helm template fails naming the value', () => {
    const notification = renderChart([], ['services.notification.replicas=5']);
    expect(notification.status).not.toBe(0);
    expect(notification.output).toMatch(/services\.notification: 5 replicas.*3 partitions/);
    const inventory = renderChart([], ['services.inventory.autoscaling.maxReplicas=4']);
    expect(inventory.output).toMatch(/services\.inventory: 4 replicas/);
    const gateways = renderChart([], ['otelGateway.replicas=1']);
    expect(gateways.output).toMatch(/otelGateway\.replicas: at least 2/);
    const latest = renderChart([], ['image.tag=latest']);
    expect(latest.output).toMatch(/image\.tag: name a build, not latest/);
  });

  it("when the storefront is on with a public origin of its own, then the gateway's CORS origin is that origin, and an origin with a path is refused", () => {
    const manifests = renderedManifests(
      [],
      ['storefront.enabled=true', 'storefront.publicOrigin=https://shop.example.com'],
    );
    const gateway = find(manifests, 'ConfigMap', 'mesh-gateway') as {
      data: Record<string, string>;
    };
    expect(gateway.data.CORS_ALLOWED_ORIGIN).toBe('https://shop.example.com');
    const withPath = renderChart(
      [],
      ['storefront.enabled=true', 'storefront.publicOrigin=https://shop.example.com/app'],
    );
    expect(withPath.status).not.toBe(0);
    expect(withPath.output).toMatch(/storefront\.publicOrigin: .* without a path/);
  });

  it('when a manifest breaks a rule or the schema, then the checks say so', () => {
    const [deployment] = renderedManifests().filter(
      (m) => m.kind === 'Deployment' && m.metadata.name === 'mesh-order',
    );
    const broken = structuredClone(deployment) as Manifest & {
      spec: { replicas: unknown; template: { spec: { containers: Record<string, unknown>[] } } };
    };
    const container = broken.spec.template.spec.containers[0] as Record<string, unknown>;
    container.image = 'registry.example.com/mesh/order:latest';
    container.securityContext = { privileged: true };
    delete container.readinessProbe;
    expect(policyViolations([broken])).toEqual([
      'Deployment/mesh-order container order: image registry.example.com/mesh/order:latest has no pinned tag',
      'Deployment/mesh-order container order: no readiness probe',
      'Deployment/mesh-order container order: privileged',
      'Deployment/mesh-order container order: allowPrivilegeEscalation is not false',
      'Deployment/mesh-order container order: root filesystem is writable',
    ]);
    broken.spec.replicas = 'two';
    container.imagePullPolicy = 'Sometimes';
    (container as Record<string, unknown>).unknownField = true;
    const result = kubeconform([broken]);
    expect(result.status).not.toBe(0);
    expect(result.summary.invalid).toBe(1);
    expect(result.resources[0]?.msg).toMatch(/replicas|unknownField/);
  });
});
