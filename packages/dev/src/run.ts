import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@mesh/service-kit';
import { type Backing, ensureBackingServices, REPO_ROOT } from './backing';
import { Child, waitUntilAnswers } from './child';
import { nativeCollectorConfig } from './collector-config';
import {
  loadRunConfig,
  type RunConfig,
  SERVICE_GROUPS,
  SERVICES,
  type ServiceName,
} from './config';
import { jsonLines, type LineFormatter, prettyLines } from './log-lines';

const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const START_TIMEOUT_MS = 60_000;
// The services' own shutdown (server, consumers, pools, telemetry flush) has limits below this.
const SERVICE_STOP_MS = 15_000;
const COLLECTOR_STOP_MS = 10_000;

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  /** Pretty, prefixed log lines (a terminal) or JSON lines (a pipe or a file). */
  pretty: boolean;
  /** Where the processes' log lines go (stdout). */
  writeLog: (text: string) => void;
  /** Where the runner's own messages go (stderr). */
  say: (text: string) => void;
}

/**
 * Runs Mesh natively until SIGINT, SIGTERM or SIGHUP: the backing services (unless given), the
 * OpenTelemetry Collector, the five services and the storefront, then stops them again. Resolves with the exit code: 0 after a clean stop on a signal, 1 when something failed.
 */
export async function runMesh(options: RunOptions): Promise<number> {
  const { env, say } = options;
  let config: RunConfig;
  try {
    config = loadRunConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    say(`run: ${error.message}\n`);
    return 1;
  }
  const collectorPath = builtCollector();
  if (!collectorPath.ok) {
    say(`run: ${collectorPath.error}\n`);
    return 1;
  }
  let backing: Backing;
  try {
    backing = ensureBackingServices(env, say);
  } catch (error) {
    say(`run: the backing services did not start: ${(error as Error).message}\n`);
    return 1;
  }

  const format: LineFormatter = options.pretty
    ? prettyLines(['otelcol', ...SERVICES, 'storefront'])
    : jsonLines();
  const onLine = (name: string, line: string) => options.writeLog(format(name, line));
  const children: Child[] = [];
  let stopping = false;
  let signalled: (signal: NodeJS.Signals) => void = () => undefined;
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => {
    signalled = resolve;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      say(`run: ${signal} again: killing what is left\n`);
      for (const child of children) child.kill();
      return;
    }
    stopping = true;
    signalled(signal);
  };
  const killAll = () => {
    for (const child of children) child.kill();
  };
  // SIGHUP: the terminal went away; stop as on Ctrl-C rather than leave the processes behind.
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  // Should the runner itself fail, its processes must not outlive it.
  process.on('exit', killAll);

  const configDir = mkdtempSync(join(tmpdir(), 'mesh-run-'));
  const collectorConfig = join(configDir, 'otelcol.json');
  writeFileSync(collectorConfig, JSON.stringify(nativeCollectorConfig(config.collectorPorts)));

  const start = async () => {
    say('run: starting the OpenTelemetry Collector, then the five services and the storefront\n');
    const collector = new Child({
      name: 'otelcol',
      command: collectorPath.path,
      args: ['--config', collectorConfig],
      env: { PATH: env.PATH, HOME: env.HOME, MESH_STOREFRONT_ORIGIN: storefrontOrigin(config) },
      onLine,
    });
    children.push(collector);
    await waitUntilAnswers(
      collector,
      `http://127.0.0.1:${config.collectorPorts.health}/`,
      START_TIMEOUT_MS,
    );
    for (const group of SERVICE_GROUPS) {
      if (stopping) return;
      const started = group.map((name) => {
        const child = new Child({
          name,
          command: process.execPath,
          // Exactly each service's `start` script: the telemetry preload before any app module.
          args: ['--require', '@mesh/telemetry/register', 'dist/main.js'],
          cwd: join(REPO_ROOT, 'services', name),
          env: serviceEnv(name, env, config, backing),
          onLine,
        });
        children.push(child);
        return child;
      });
      await Promise.all(
        started.map((child) =>
          waitUntilAnswers(
            child,
            `http://127.0.0.1:${config.servicePorts[child.name as ServiceName]}/readyz`,
            START_TIMEOUT_MS,
          ),
        ),
      );
    }
    if (stopping) return;
    // As in docker-compose.yml, without the telemetry preload: its telemetry is the browser's.
    const storefront = new Child({
      name: 'storefront',
      command: process.execPath,
      args: ['dist/main.js'],
      cwd: join(REPO_ROOT, 'services', 'storefront'),
      env: storefrontEnv(env, config),
      onLine,
    });
    children.push(storefront);
    await waitUntilAnswers(
      storefront,
      `http://127.0.0.1:${config.storefrontPort}/readyz`,
      START_TIMEOUT_MS,
    );
  };

  let exitCode = 0;
  const startup = start().then(
    () => 'started' as const,
    (error: Error) => error,
  );
  const first = await Promise.race([startup, stopRequested]);
  if (first instanceof Error) {
    if (!stopping) {
      say(`run: ${first.message}; its log lines say why. Stopping.\n`);
      exitCode = 1;
    }
  } else if (first === 'started') {
    say(banner(config, children, env));
    // Until a signal, or until one of them ends by itself, which leaves a broken Mesh.
    const crashed = Promise.race(
      children.map((child) => child.exited.then(({ code, signal }) => ({ child, code, signal }))),
    );
    const outcome = await Promise.race([stopRequested, crashed]);
    if (typeof outcome === 'object' && !stopping) {
      say(
        `run: ${outcome.child.name} exited (${outcome.signal ?? `code ${outcome.code}`}); stopping the others.\n`,
      );
      exitCode = 1;
    }
  }
  stopping = true;

  say('run: stopping the five services and the storefront, then the collector\n');
  const killed = await stopInOrder(children);
  if (killed.length > 0) say(`run: killed after the time limit: ${killed.join(', ')}\n`);
  say(
    backing.startedHere
      ? 'run: stopped. PostgreSQL, Redis and Kafka keep running (scripts/services.sh status); ' +
          'stop them with: scripts/services.sh stop\n'
      : 'run: stopped.\n',
  );
  rmSync(configDir, { recursive: true, force: true });
  for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  process.off('exit', killAll);
  return exitCode;
}

/**
 * The services first, then the collector, so that it still receives what they flush on the way
 * out. Resolves with the names of those that had to be killed.
 */
async function stopInOrder(children: Child[]): Promise<string[]> {
  const services = children.filter((child) => child.name !== 'otelcol');
  const collector = children.filter((child) => child.name === 'otelcol');
  const stoppedInTime = [
    ...(await Promise.all(services.map((child) => child.stop(SERVICE_STOP_MS)))),
    ...(await Promise.all(collector.map((child) => child.stop(COLLECTOR_STOP_MS)))),
  ];
  return [...services, ...collector]
    .filter((_, index) => !stoppedInTime[index])
    .map((child) => child.name);
}

type Built = { ok: true; path: string } | { ok: false; error: string };

/** The collector `scripts/otelcol.sh build` built from infra/otel-collector/builder-config.yaml. */
function builtCollector(): Built {
  try {
    const path = execFileSync(join(REPO_ROOT, 'scripts', 'otelcol.sh'), ['path'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
    return { ok: true, path };
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim() || String(error);
    return { ok: false, error: `the OpenTelemetry Collector is not built (${stderr})` };
  }
}

function serviceEnv(
  name: ServiceName,
  env: NodeJS.ProcessEnv,
  config: RunConfig,
  backing: Backing,
): NodeJS.ProcessEnv {
  const url = (service: ServiceName) => `http://127.0.0.1:${config.servicePorts[service]}`;
  const prefix = config.prefix;
  return {
    ...env,
    ...backing.addresses,
    HOST: '127.0.0.1',
    PORT: String(config.servicePorts[name]),
    ORDER_URL: url('order'),
    PAYMENT_URL: url('payment'),
    INVENTORY_URL: url('inventory'),
    NOTIFICATION_URL: url('notification'),
    OTEL_SERVICE_NAME: name,
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${config.collectorPorts.otlpHttp}`,
    // The native collector has no logs pipeline (see collector-config.ts): the log lines are in
    // the terminal instead.
    OTEL_LOGS_EXPORTER: 'none',
    ...(name === 'gateway' ? { CORS_ALLOWED_ORIGIN: storefrontOrigin(config) } : {}),
    ...(prefix
      ? {
          ORDER_EVENTS_TOPIC: `${prefix}order-events`,
          KAFKA_GROUP_ID: `${prefix}${name}`,
          REDIS_KEY_PREFIX: `${prefix}${name}:`,
        }
      : {}),
  };
}

/** The storefront as the browser names it: exactly the origin the gateway and the collector allow. */
function storefrontOrigin(config: RunConfig): string {
  return `http://127.0.0.1:${config.storefrontPort}`;
}

/** The storefront's runtime config (/config.json): the native gateway and collector. */
function storefrontEnv(env: NodeJS.ProcessEnv, config: RunConfig): NodeJS.ProcessEnv {
  return {
    ...env,
    HOST: '127.0.0.1',
    PORT: String(config.storefrontPort),
    GATEWAY_PUBLIC_URL: `http://127.0.0.1:${config.servicePorts.gateway}`,
    OTLP_TRACES_PUBLIC_URL: `http://127.0.0.1:${config.collectorPorts.otlpHttp}/v1/traces`,
    // There is no Grafana natively: the order page shows the trace id without a link.
    GRAFANA_PUBLIC_URL: '',
  };
}

function banner(config: RunConfig, children: Child[], env: NodeJS.ProcessEnv): string {
  const pid = (name: string) => children.find((child) => child.name === name)?.pid ?? '?';
  const gateway = `http://127.0.0.1:${config.servicePorts.gateway}`;
  const apiKey = env.API_KEYS?.split(',')[0]?.trim() || 'mesh-demo-key';
  const ports = config.collectorPorts;
  const lines = [
    'run: Mesh is running natively. Ctrl-C stops the services, the storefront and the collector.',
    ...[...SERVICES]
      .sort((a, b) => config.servicePorts[a] - config.servicePorts[b])
      .map(
        (name) =>
          `  ${name.padEnd(13)} http://127.0.0.1:${config.servicePorts[name]}  pid ${pid(name)}` +
          (name === 'gateway' ? '  the public API' : ''),
      ),
    `  ${'storefront'.padEnd(13)} ${storefrontOrigin(config)}  pid ${pid('storefront')}  the shop in the browser`,
    `  ${'otelcol'.padEnd(13)} http://127.0.0.1:${ports.otlpHttp}  pid ${pid('otelcol')}  OTLP from the services`,
    `  ${''.padEnd(13)} http://127.0.0.1:${ports.metrics}/metrics  span metrics (RED per service) and the service graph`,
    '',
    'Place an order (the x-trace-id header names its trace; every log line of it carries that trace_id):',
    `  curl -si -X POST ${gateway}/api/orders -H 'x-api-key: ${apiKey}' -H 'content-type: application/json' \\`,
    `    -d '{"customerId":"ada","items":[{"sku":"MUG-BLUE-350","quantity":1}]}'`,
    '',
  ];
  return `${lines.join('\n')}\n`;
}
