import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import {
  argDefault,
  bindMounts,
  buildArgsOf,
  type ComposeFile,
  type ComposeService,
  dependenciesOf,
  dockerfileOf,
  durationMs,
  environmentOf,
  loadCompose,
  memoryLimitOf,
  publishedPorts,
  readDockerfile,
  repoPath,
  runTool,
} from '../src';

const compose: ComposeFile = loadCompose();
const services = Object.entries(compose.services);

/** The five Mesh services and the port each listens on. */
const MESH_SERVICES = {
  gateway: '8080',
  order: '8081',
  payment: '8082',
  inventory: '8083',
  notification: '8084',
} as const;

/** Variables Node.js reads itself (https://nodejs.org/api/cli.html#environment-variables). */
const NODE_RUNTIME_VARIABLES = ['NODE_OPTIONS'];

/** A run-once container (k6): only started on demand through its profile, never restarted. */
const isOneShot = (service: ComposeService) =>
  (service.profiles?.length ?? 0) > 0 && service.restart === 'no';

/** The HEALTHCHECK of the Dockerfile a service is built from, if any. */
function imageHealthcheck(service: ComposeService): string | undefined {
  const dockerfile = dockerfileOf(service);
  if (!dockerfile) return undefined;
  return readDockerfile(repoPath(dockerfile)).find((i) => i.instruction === 'HEALTHCHECK')?.args;
}

const hasHealthcheck = (service: ComposeService) =>
  (service.healthcheck !== undefined && service.healthcheck.disable !== true) ||
  imageHealthcheck(service) !== undefined;

describe('docker-compose.yml, loaded by compose-go (the loader of the Docker Compose CLI)', () => {
  it('when every profile is enabled, then it is valid against the Compose Specification', () => {
    const run = runTool('compose-check', [repoPath('docker-compose.yml')]);
    expect({ status: run.status, output: run.status === 0 ? '' : run.output }).toEqual({
      status: 0,
      output: '',
    });
    const project = JSON.parse(run.stdout) as { services: Record<string, unknown> };
    expect(Object.keys(project.services).sort()).toEqual(Object.keys(compose.services).sort());
  });

  it('when a service depends on a service that does not exist, then the check rejects the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-compose-'));
    try {
      const broken = structuredClone(compose);
      const gateway = broken.services.gateway as ComposeService;
      gateway.depends_on = {
        ...(gateway.depends_on as object),
        ordr: { condition: 'service_healthy' },
      };
      const file = join(dir, 'docker-compose.yml');
      writeFileSync(file, stringify(broken));
      const run = runTool('compose-check', [file]);
      expect(run.status).not.toBe(0);
      expect(run.output).toMatch(/ordr/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('docker-compose.yml rules for every container', () => {
  it.each(services)(
    'when %s starts, then Docker can tell whether it is healthy (or it is a one-shot run)',
    (_, service) => {
      expect(hasHealthcheck(service) || isOneShot(service)).toBe(true);
    },
  );

  it.each(services)('when %s runs, then it has a memory limit', (_, service) => {
    expect(memoryLimitOf(service)).toBeGreaterThan(0);
  });

  // 3 GiB for the backend, plus the storefront's 128 MiB: still well inside the 4 GiB the
  // README asks Docker for.
  it('when the whole stack runs, k6 included, then its memory limits add up to at most 3.125 GiB', () => {
    const total = services.reduce((sum, [, service]) => sum + (memoryLimitOf(service) ?? 0), 0);
    expect(total).toBeLessThanOrEqual(3.125 * 1024 ** 3);
  });

  it.each(services)(
    'when %s is pulled or built, then its image version is pinned',
    (_, service) => {
      const dockerfile = service.image ? [] : readDockerfile(repoPath(dockerfileOf(service) ?? ''));
      const images =
        service.image !== undefined
          ? [service.image]
          : dockerfile
              .filter((i) => i.instruction === 'FROM')
              // ${NODE_VERSION} and the like: the ARG's default is what gets pulled
              .map((i) =>
                (i.args.split(/\s+/)[0] ?? '').replace(
                  /\$\{(\w+)\}/g,
                  (_, name: string) => argDefault(dockerfile, name) ?? '',
                ),
              )
              // FROM an earlier stage of the same Dockerfile is not an image
              .filter((image) => image.includes(':') || image.includes('@'));
      expect(images.length).toBeGreaterThan(0);
      for (const image of images) {
        // a tag with a version number (or a digest); never latest
        expect(image).toMatch(/^[^:@]+(:[^:@]*\d[^:@]*|@sha256:[0-9a-f]{64})$/);
        expect(image).not.toMatch(/:latest$/);
      }
    },
  );

  it.each(services)('when %s stops, then its restart policy says what happens', (_, service) => {
    expect(service.restart).toBe(isOneShot(service) ? 'no' : 'unless-stopped');
  });

  it("when ports are published, then only gateway 8080, storefront 8090, the collector's OTLP/HTTP 4318, Grafana 3000, Prometheus 9090 and Tempo 3200 are, on 127.0.0.1", () => {
    const published = services.flatMap(([name, service]) =>
      publishedPorts(service).map((port) => ({ name, ...port })),
    );
    expect(published.map(({ name, published }) => `${name}:${published}`).sort()).toEqual([
      'gateway:8080',
      'grafana:3000',
      'otel-collector:4318',
      'prometheus:9090',
      'storefront:8090',
      'tempo:3200',
    ]);
    for (const port of published) expect(port.hostIp).toBe('127.0.0.1');
  });

  it.each(services)('when %s mounts files from the repository, then they exist', (_, service) => {
    for (const mount of bindMounts(service)) {
      expect({ mount: mount.source, exists: existsSync(repoPath(mount.source)) }).toEqual({
        mount: mount.source,
        exists: true,
      });
    }
  });

  it.each(services)(
    'when %s waits for another container, then it waits for a condition it can meet',
    (_, service) => {
      for (const [dependency, condition] of Object.entries(dependenciesOf(service))) {
        const target = compose.services[dependency];
        expect({ dependency, defined: target !== undefined }).toEqual({
          dependency,
          defined: true,
        });
        expect({ dependency, condition }).toEqual({ dependency, condition: expect.any(String) });
        if (condition === 'service_healthy' && target) {
          expect({ dependency, healthcheck: hasHealthcheck(target) }).toEqual({
            dependency,
            healthcheck: true,
          });
        }
      }
    },
  );
});

describe('docker-compose.yml: the five Mesh services', () => {
  const meshServices = Object.entries(MESH_SERVICES).map(([name, port]) => {
    const service = compose.services[name];
    if (!service) throw new Error(`docker-compose.yml has no service ${name}`);
    return [name, port, service] as const;
  });

  it.each(meshServices)(
    'when %s is built, then it comes from the shared service Dockerfile with SERVICE=%s',
    (name, _, service) => {
      expect(dockerfileOf(service)).toBe('infra/docker/service.Dockerfile');
      expect(buildArgsOf(service)).toEqual({ SERVICE: name });
    },
  );

  it.each(meshServices)(
    'when %s starts, then it listens on 0.0.0.0:%s and exports OTLP to the collector',
    (name, port, service) => {
      const env = environmentOf(service);
      expect(env).toMatchObject({
        PORT: port,
        HOST: '0.0.0.0',
        OTEL_SERVICE_NAME: name,
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=workshop',
      });
    },
  );

  // Variables every service reads are declared once in service-kit (`kafkaSpec`,
  // `postgresSpec(…)`) and spread into a service's spec: read those declarations too.
  const sharedSpecs = readFileSync(
    repoPath('packages', 'service-kit', 'src', 'config-specs.ts'),
    'utf8',
  ).split(/^export /m);
  const withSharedSpecs = (config: string) =>
    [...config.matchAll(/\.\.\.(\w+Spec)\b/g)]
      .map(([, spec]) =>
        sharedSpecs.find((part) => new RegExp(`^(const|function) ${spec}\\b`).test(part)),
      )
      .reduce<string>((all, part) => `${all}\n${part ?? ''}`, config);

  const telemetrySources = ['sdk.ts', 'resource.ts', 'instrumentations.ts']
    .map((file) => readFileSync(repoPath('packages', 'telemetry', 'src', file), 'utf8'))
    .join('\n');

  it.each(meshServices)(
    'when compose sets a variable for %s, then the service reads it',
    (name, _, service) => {
      const config = withSharedSpecs(
        readFileSync(repoPath('services', name, 'src', 'config.ts'), 'utf8'),
      );
      const unread = Object.keys(environmentOf(service)).filter((variable) => {
        // Node's own (NODE_OPTIONS)
        if (NODE_RUNTIME_VARIABLES.includes(variable)) return false;
        // read by @mesh/telemetry: the SDK's own variables (OTEL_*), which it hands to the
        // SDK, and its own switches (MESH_TRACE_FRAMEWORK_SPANS)
        if (telemetrySources.includes(`'${variable}'`)) return false;
        if (variable.startsWith('OTEL_')) return !telemetrySources.includes(variable);
        // a key of the service's typed config spec, e.g. `  KAFKA_BROKERS: str({`
        return !new RegExp(`^\\s*${variable}\\s*:`, 'm').test(config);
      });
      expect(unread).toEqual([]);
    },
  );

  it('when services reach each other, then they use the compose service names and ports', () => {
    const urls = meshServices.flatMap(([, , service]) =>
      Object.entries(environmentOf(service)).filter(([variable]) => variable.endsWith('_URL')),
    );
    for (const [variable, url] of urls) {
      const target = /^(?:http|postgres|redis):\/\/(?:[^@/]*@)?([a-z-]+):(\d+)/.exec(url);
      expect({ variable, url, resolved: target !== null }).toEqual({
        variable,
        url,
        resolved: true,
      });
      const [, host = '', port = ''] = target ?? [];
      const expected =
        MESH_SERVICES[host as keyof typeof MESH_SERVICES] ??
        { postgres: '5432', redis: '6379' }[host];
      expect({ variable, port }).toEqual({ variable, port: expected });
    }
    for (const [, , service] of meshServices) {
      const brokers = environmentOf(service).KAFKA_BROKERS;
      if (brokers !== undefined) expect(brokers).toBe('kafka:29092');
    }
  });
});

describe('docker-compose.yml: Redis', () => {
  const flag = (name: string) => {
    const command = compose.services.redis?.command;
    const args = typeof command === 'string' ? command.split(/\s+/) : (command ?? []);
    const at = args.indexOf(name);
    return at === -1 ? undefined : args[at + 1];
  };

  it('when Redis has a maxmemory, then it evicts (allkeys-lru) rather than refusing writes once full', () => {
    expect(flag('--maxmemory')).toBeDefined();
    expect(flag('--maxmemory-policy')).toBe('allkeys-lru');
  });
});

describe('infra/docker/service.Dockerfile', () => {
  const dockerfile = readDockerfile(repoPath('infra', 'docker', 'service.Dockerfile'));
  const nodeVersion = readFileSync(repoPath('.node-version'), 'utf8').trim();
  const runtime = dockerfile.slice(dockerfile.map((i) => i.instruction).lastIndexOf('FROM'));

  it('when it is built, then every stage starts from the Node release in .node-version, slim', () => {
    expect(
      dockerfile.find((i) => i.instruction === 'ARG' && i.args.startsWith('NODE_VERSION'))?.args,
    ).toBe(`NODE_VERSION=${nodeVersion}`);
    const froms = dockerfile.filter((i) => i.instruction === 'FROM').map((i) => i.args);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms)
      expect(from).toMatch(/^node:\$\{NODE_VERSION\}-bookworm-slim AS \w+$/);
  });

  it('when compose builds the five services, then the steps they share come before ARG SERVICE, so the five builds share them', () => {
    // A build argument joins the cache key of every RUN after its ARG: any shared step declared
    // after ARG SERVICE is run once per service.
    const build = dockerfile.slice(0, dockerfile.map((i) => i.instruction).lastIndexOf('FROM'));
    const declared = build.findIndex((i) => i.instruction === 'ARG' && i.args === 'SERVICE');
    expect(declared).toBeGreaterThan(0);
    const usesService = (i: (typeof build)[number]) => /\$\{?SERVICE\b/.test(i.args);
    expect(build.slice(0, declared).filter(usesService)).toEqual([]);
    expect(build.slice(declared + 1).filter((i) => !usesService(i))).toEqual([]);
    expect(build.slice(0, declared).map((i) => i.args)).toEqual(
      expect.arrayContaining([expect.stringMatching(/pnpm install --frozen-lockfile/)]),
    );
  });

  it('when the image is assembled, then the service is deployed with production dependencies only', () => {
    expect(dockerfile.some((i) => i.instruction === 'ARG' && i.args === 'SERVICE')).toBe(true);
    const deploy = dockerfile.find((i) => i.instruction === 'RUN' && i.args.includes(' deploy '));
    expect(deploy?.args).toMatch(
      /pnpm --filter "@mesh\/\$\{SERVICE\}" deploy --prod --legacy \/prod/,
    );
    expect(runtime.find((i) => i.instruction === 'COPY')?.args).toBe('--from=build /prod ./');
  });

  it('when the container runs, then it runs as an unprivileged user, health-checked on /healthz', () => {
    expect(runtime.find((i) => i.instruction === 'USER')?.args).toBe('node');
    const healthcheck = runtime.find((i) => i.instruction === 'HEALTHCHECK')?.args ?? '';
    expect(healthcheck).toContain('CMD ["node", "-e", "fetch(');
    expect(healthcheck).toContain('/healthz');
  });

  it('when the container starts, then the telemetry preload runs before the service', () => {
    expect(runtime.at(-1)).toEqual({
      instruction: 'CMD',
      args: '["node", "--require", "@mesh/telemetry/register", "dist/main.js"]',
    });
  });

  it('when the build context is sent, then host-built files stay out of it', () => {
    const ignore = readFileSync(
      repoPath('infra', 'docker', 'service.Dockerfile.dockerignore'),
      'utf8',
    )
      .split('\n')
      .map((line) => line.trim());
    expect(ignore).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '.git']));
  });
});

describe('docker-compose.yml: load tests and Grafana', () => {
  it('when k6 runs, then it is on demand (profile k6), runs the smoke scenario and writes to Prometheus', () => {
    const k6 = compose.services.k6;
    expect(k6?.profiles).toEqual(['k6']);
    expect(k6?.command).toEqual(expect.arrayContaining(['/k6/scenarios/smoke.js']));
    expect(bindMounts(k6 ?? {})).toEqual([{ source: './k6', target: '/k6' }]);
    expect(environmentOf(k6 ?? {}).K6_PROMETHEUS_RW_SERVER_URL).toBe(
      'http://prometheus:9090/api/v1/write',
    );
    expect(compose.services.prometheus?.command).toEqual(
      expect.arrayContaining(['--web.enable-remote-write-receiver']),
    );
  });

  it('when someone opens Grafana without logging in, then they get Editor: the least role with Explore, never Admin', () => {
    // Grafana >= 12 opens Explore to Editor and Admin only (viewers_can_edit is gone), and the
    // workshop is done in Explore; Grafana is published on 127.0.0.1 only.
    const env = environmentOf(compose.services.grafana ?? {});
    expect(env).toMatchObject({
      GF_AUTH_ANONYMOUS_ENABLED: 'true',
      GF_AUTH_ANONYMOUS_ORG_ROLE: 'Editor',
    });
    expect(env.GF_USERS_VIEWERS_CAN_EDIT).toBeUndefined();
    expect(publishedPorts(compose.services.grafana ?? {}).map((port) => port.hostIp)).toEqual([
      '127.0.0.1',
    ]);
    expect(env.GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:-.+\}$/);
  });
});

describe('docker-compose.yml: the broker, the collector and Tempo', () => {
  const kafka = compose.services.kafka ?? {};
  const kafkaEnv = environmentOf(kafka);

  it('when Docker checks the broker every few seconds, then the check starts no JVM beside it', () => {
    // Kafka's CLI tools (/opt/kafka/bin/*.sh) each start a JVM of ~90 MB inside the broker's limit.
    const test = [kafka.healthcheck?.test ?? []].flat().join(' ');
    expect(test).not.toMatch(/\/opt\/kafka\/bin|kafka-[\w-]+\.sh|\bjava\b/);
    // and it asks the listener the other containers use
    const port = /:(\d+)$/.exec(kafkaEnv.KAFKA_ADVERTISED_LISTENERS ?? '')?.[1];
    expect(kafka.healthcheck?.test).toEqual(['CMD', 'bash', '-c', `: </dev/tcp/127.0.0.1/${port}`]);
  });

  it('when the collector starts in compose, then it merges kafka.yaml over config.yaml and waits for the broker it scrapes', () => {
    const collector = compose.services['otel-collector'] ?? {};
    expect(collector.command).toEqual([
      '--config=/etc/otelcol-contrib/config.yaml',
      '--config=/etc/otelcol-contrib/kafka.yaml',
    ]);
    expect(bindMounts(collector)).toEqual(
      expect.arrayContaining([
        {
          source: './infra/otel-collector/config.yaml',
          target: '/etc/otelcol-contrib/config.yaml',
        },
        { source: './infra/otel-collector/kafka.yaml', target: '/etc/otelcol-contrib/kafka.yaml' },
      ]),
    );
    expect(dependenciesOf(collector).kafka).toBe('service_healthy');
  });

  it('when the stack goes down, then Tempo, whose shutdown outlasts SIGTERM by minutes, is killed within 10 s', () => {
    const grace = compose.services.tempo?.stop_grace_period;
    expect(grace).toBeDefined();
    expect(durationMs(grace ?? '')).toBeLessThanOrEqual(10_000);
  });
});

describe('infra/tempo/tempo.yaml: the check command in its header', () => {
  const header = readFileSync(repoPath('infra', 'tempo', 'tempo.yaml'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('#'))
    .join('\n');
  const command = /`(docker run [^`]+)`/.exec(header)?.[1] ?? '';
  const tempo = compose.services.tempo ?? {};

  it('when someone runs it, then it checks the file compose mounts, with the image compose runs', () => {
    expect(command).toContain(` ${tempo.image} `);
    const mount = bindMounts(tempo).find((m) => m.source === './infra/tempo/tempo.yaml');
    expect(command).toContain(`-config.file=${mount?.target}`);
  });

  it('when it asks Tempo to verify, then every -config.* flag carries its value after =', () => {
    // Tempo parses its command line twice; in the second pass the -config.* flags take a value,
    // so a bare `-config.verify` stops with "flag needs an argument" (cmd/tempo/main.go).
    const flags = command.split(/\s+/).filter((word) => word.startsWith('-config.'));
    expect(flags).toContain('-config.verify=true');
    expect(flags.filter((flag) => !flag.includes('='))).toEqual([]);
  });
});
