import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CHART_DEMO_VALUES,
  CHART_NAMESPACE,
  DEMO_BACKENDS_CHART,
  DEMO_BACKENDS_CHART_DIR,
  environmentOf,
  loadCompose,
  type Manifest,
  memoryLimitOf,
  renderedManifests,
  repoPath,
  runTool,
} from '@mesh/workshop';
import { parse } from 'yaml';
import {
  kubeconform,
  type PolicyException,
  podSpecOf,
  policyViolations,
  unusedExceptions,
} from '../src';

/*
 * The demo cluster's backing services (infra/helm/mesh-demo-backends) checked as the Mesh chart
 * is: helm lint, kubeconform, the same rules; then what ties them to the rest of the repository:
 * docker-compose.yml's images and memory limits, identical copies of the infra/ configs, and
 * the Mesh chart's demo values pointing at Services this chart renders.
 */

const BACKENDS = ['postgres', 'redis', 'kafka', 'tempo', 'loki', 'prometheus', 'grafana'] as const;

/**
 * The rules a backend's image cannot keep, each with the reason. Nothing else is excepted, and
 * an entry that no longer matches a violation fails the test below (so it is removed, not kept).
 */
const DEMO_POLICY_EXCEPTIONS: PolicyException[] = [
  {
    violation: 'Deployment/kafka container kafka: root filesystem is writable',
    why: "apache/kafka's entrypoint writes the server.properties it generates from KAFKA_* variables into /opt/kafka/config, beside the logging and tool configs the image ships there, so the directory cannot be an empty volume",
  },
];

/** The chart's copies of the files docker-compose.yml mounts: [original, copy]. */
function configCopies(): [string, string][] {
  const files = (...path: string[]) => join(DEMO_BACKENDS_CHART_DIR, 'files', ...path);
  const dashboards = readdirSync(repoPath('infra', 'grafana', 'dashboards')).filter((file) =>
    file.endsWith('.json'),
  );
  return [
    [repoPath('infra', 'tempo', 'tempo.yaml'), files('tempo.yaml')],
    [repoPath('infra', 'loki', 'loki.yaml'), files('loki.yaml')],
    [repoPath('infra', 'prometheus', 'prometheus.yml'), files('prometheus.yml')],
    ...(['datasources', 'dashboards'] as const).map((kind): [string, string] => [
      repoPath('infra', 'grafana', 'provisioning', kind, `${kind}.yaml`),
      files('grafana', 'provisioning', kind, `${kind}.yaml`),
    ]),
    ...dashboards.map((file): [string, string] => [
      repoPath('infra', 'grafana', 'dashboards', file),
      files('grafana', 'dashboards', file),
    ]),
  ];
}

type Service = Manifest & { spec: { ports: { name: string; port: number }[] } };

/** A Kubernetes memory quantity in Mi or Gi, in bytes. */
const quantityBytes = (quantity: string) =>
  Number.parseInt(quantity, 10) * (quantity.endsWith('Gi') ? 1024 ** 3 : 1024 ** 2);

describe('the demo backing services chart', () => {
  let manifests: Manifest[];
  beforeAll(() => {
    manifests = renderedManifests([], [], DEMO_BACKENDS_CHART);
  });
  const find = (kind: string, name: string): unknown =>
    manifests.find((manifest) => manifest.kind === kind && manifest.metadata.name === name);
  const containerOf = (name: string) =>
    podSpecOf(find('Deployment', name) as Manifest)?.containers[0] as unknown as {
      image: string;
      env?: { name: string; value: string }[];
      resources: { limits: { memory: string } };
    };

  it('when helm lint --strict reads it, then it reports nothing wrong', () => {
    const run = runTool('helm', ['lint', '--strict', DEMO_BACKENDS_CHART_DIR]);
    expect({ status: run.status, output: run.output }).toEqual({
      status: 0,
      output: expect.stringContaining('1 chart(s) linted, 0 chart(s) failed'),
    });
  });

  it('when kubeconform checks every manifest against the pinned Kubernetes schemas, then all are valid and none skipped', () => {
    const result = kubeconform(manifests);
    expect(result.resources.filter((resource) => resource.status !== 'statusValid')).toEqual([]);
    expect(result.summary).toEqual({
      valid: manifests.length,
      invalid: 0,
      errors: 0,
      skipped: 0,
    });
  });

  it('when every workload is checked against the rules, then none breaks one beyond the named exceptions, and every exception is still needed', () => {
    const workloads = manifests.filter((manifest) => podSpecOf(manifest) !== undefined);
    expect(workloads.map((w) => `${w.kind}/${w.metadata.name}`).sort()).toEqual(
      BACKENDS.map((name) => `Deployment/${name}`).sort(),
    );
    expect(policyViolations(manifests, DEMO_POLICY_EXCEPTIONS)).toEqual([]);
    expect(unusedExceptions(manifests, DEMO_POLICY_EXCEPTIONS)).toEqual([]);
    for (const exception of DEMO_POLICY_EXCEPTIONS)
      expect(exception.why.length).toBeGreaterThan(40);
    // Nothing persists: every volume is an emptyDir, a ConfigMap or nothing else.
    for (const workload of workloads) {
      const volumes = (podSpecOf(workload) as unknown as { volumes?: Record<string, unknown>[] })
        .volumes;
      for (const volume of volumes ?? []) {
        expect(Object.keys(volume).filter((key) => key !== 'name')).toEqual([
          expect.stringMatching(/^(emptyDir|configMap)$/),
        ]);
      }
    }
  });

  it('when compared with docker-compose.yml, then every backend runs the same image with the same memory limit', () => {
    const compose = loadCompose();
    for (const name of BACKENDS) {
      const service = compose.services[name];
      const container = containerOf(name);
      expect({ name, image: container.image }).toEqual({ name, image: service?.image });
      expect({ name, memory: quantityBytes(container.resources.limits.memory) }).toEqual({
        name,
        memory: service && memoryLimitOf(service),
      });
    }
  });

  it('when the chart carries copies of the configs compose mounts, then each is identical to its original and none is missing', () => {
    const copies = configCopies();
    for (const [original, copy] of copies) {
      expect({ copy, text: readFileSync(copy, 'utf8') }).toEqual({
        copy,
        text: readFileSync(original, 'utf8'),
      });
    }
    const carried = readdirSync(join(DEMO_BACKENDS_CHART_DIR, 'files'), {
      recursive: true,
      withFileTypes: true,
    })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name));
    expect(carried.sort()).toEqual(copies.map(([, copy]) => copy).sort());
  });

  it('when the rendered ConfigMaps are read, then Tempo, Loki and Grafana get the files verbatim, and Prometheus its file with only the collector targets found by DNS', () => {
    const data = (name: string) =>
      (find('ConfigMap', name) as { data: Record<string, string> }).data;
    const original = (...path: string[]) => readFileSync(repoPath('infra', ...path), 'utf8');
    expect(data('tempo')['tempo.yaml']).toBe(original('tempo', 'tempo.yaml'));
    expect(data('loki')['loki.yaml']).toBe(original('loki', 'loki.yaml'));
    expect(data('grafana-provisioning')['datasources.yaml']).toBe(
      original('grafana', 'provisioning', 'datasources', 'datasources.yaml'),
    );
    expect(data('grafana-dashboards')['service-overview.json']).toBe(
      original('grafana', 'dashboards', 'service-overview.json'),
    );

    const rendered = parse(data('prometheus')['prometheus.yml'] ?? '') as {
      scrape_configs: Record<string, unknown>[];
    };
    const expected = parse(original('prometheus', 'prometheus.yml')) as typeof rendered;
    const gateways = `mesh-otel-gateway-headless.${CHART_NAMESPACE}.svc.cluster.local`;
    const ports: Record<string, number> = {
      'otel-collector': 8889,
      'otel-collector-internal': 8888,
    };
    for (const job of expected.scrape_configs) {
      const port = ports[job.job_name as string];
      if (port === undefined) continue;
      delete job.static_configs;
      job.dns_sd_configs = [{ names: [gateways], type: 'A', port }];
    }
    expect(rendered).toEqual(expected);

    const dir = mkdtempSync(join(tmpdir(), 'mesh-demo-prometheus-'));
    try {
      const file = join(dir, 'prometheus.yml');
      writeFileSync(file, data('prometheus')['prometheus.yml'] ?? '');
      const run = runTool('promtool', ['check', 'config', file]);
      expect({ status: run.status, output: run.status === 0 ? 'ok' : run.output }).toEqual({
        status: 0,
        output: 'ok',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('and the Mesh chart with its demo values', () => {
    let mesh: Manifest[];
    beforeAll(() => {
      mesh = renderedManifests([CHART_DEMO_VALUES]);
    });
    const meshFind = (kind: string, name: string): unknown =>
      mesh.find((manifest) => manifest.kind === kind && manifest.metadata.name === name);

    /** The demo Service a host:port names (short or cluster DNS name), and that it has the port. */
    const expectDemoService = (what: string, address: string) => {
      const [host = '', port = ''] = address.split(':');
      const name = host.replace(new RegExp(`\\.${CHART_NAMESPACE}\\.svc\\.cluster\\.local$`), '');
      const service = find('Service', name) as Service | undefined;
      expect({ what, service: service?.metadata.name }).toEqual({ what, service: name });
      expect({ what, ports: service?.spec.ports.map((entry) => entry.port) }).toEqual({
        what,
        ports: expect.arrayContaining([Number(port)]),
      });
    };

    it('when the Mesh chart names its backing services, then each is a Service of the demo chart, on a port it serves, with the demo credentials', () => {
      const secret = meshFind('Secret', 'mesh-credentials') as {
        stringData: Record<string, string>;
      };
      const database = new URL(secret.stringData.DATABASE_URL ?? '');
      const redis = new URL(secret.stringData.REDIS_URL ?? '');
      expectDemoService('DATABASE_URL', database.host);
      expectDemoService('REDIS_URL', redis.host);
      const postgresEnv = Object.fromEntries(
        (containerOf('postgres').env ?? []).map((variable) => [variable.name, variable.value]),
      );
      expect({
        user: database.username,
        password: database.password,
        database: database.pathname.slice(1),
      }).toEqual({
        user: postgresEnv.POSTGRES_USER,
        password: postgresEnv.POSTGRES_PASSWORD,
        database: postgresEnv.POSTGRES_DB,
      });

      const order = meshFind('ConfigMap', 'mesh-order') as { data: Record<string, string> };
      for (const broker of (order.data.KAFKA_BROKERS ?? '').split(',')) {
        expectDemoService('KAFKA_BROKERS', broker);
      }

      const collector = parse(
        (meshFind('ConfigMap', 'mesh-otel-gateway') as { data: Record<string, string> }).data[
          'config.yaml'
        ] ?? '',
      ) as { exporters: Record<string, { endpoint: string }> };
      expectDemoService('tempo exporter', collector.exporters['otlp_grpc/tempo']?.endpoint ?? '');
      expectDemoService(
        'loki exporter',
        new URL(collector.exporters['otlp_http/loki']?.endpoint ?? '').host,
      );
    });

    it('when Kafka advertises its listener and Prometheus and Grafana name their peers, then each is a Service the two charts render', () => {
      const kafkaEnv = Object.fromEntries(
        (containerOf('kafka').env ?? []).map((variable) => [variable.name, variable.value]),
      );
      expectDemoService(
        'KAFKA_ADVERTISED_LISTENERS',
        (kafkaEnv.KAFKA_ADVERTISED_LISTENERS ?? '').replace(/^\w+:\/\//, ''),
      );

      const datasources = parse(
        readFileSync(
          repoPath('infra', 'grafana', 'provisioning', 'datasources', 'datasources.yaml'),
          'utf8',
        ),
      ) as { datasources: { url: string }[] };
      for (const datasource of datasources.datasources) {
        expectDemoService(`datasource ${datasource.url}`, new URL(datasource.url).host);
      }

      const headless = meshFind('Service', 'mesh-otel-gateway-headless') as {
        spec: { clusterIP: string };
      };
      expect(headless.spec.clusterIP).toBe('None');
      const gatewayContainer = podSpecOf(meshFind('Deployment', 'mesh-otel-gateway') as Manifest)
        ?.containers[0] as unknown as { ports: { containerPort: number }[] } | undefined;
      const gatewayPorts = gatewayContainer?.ports.map((port) => port.containerPort);
      expect(gatewayPorts).toEqual(expect.arrayContaining([8888, 8889]));
    });
  });
});

describe('compose and the demo chart agree on what Grafana is told', () => {
  it("when Grafana's settings are compared, then the chart sets every variable compose sets", () => {
    const compose = environmentOf(loadCompose().services.grafana ?? {});
    const manifests = renderedManifests([], [], DEMO_BACKENDS_CHART);
    const grafana = podSpecOf(
      manifests.find((m) => m.kind === 'Deployment' && m.metadata.name === 'grafana') as Manifest,
    )?.containers[0] as unknown as { env: { name: string }[] };
    const set = grafana.env.map((variable) => variable.name);
    expect(Object.keys(compose).filter((name) => !set.includes(name))).toEqual([]);
  });
});
