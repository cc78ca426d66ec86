import { type ChildProcess, spawn } from 'node:child_process';
import {
  type AddressInfo,
  createServer,
  type Server,
  type Socket,
  connect as tcpConnect,
} from 'node:net';
import { join } from 'node:path';
import { freePort } from '@mesh/testkit';

/** The services a stack runs, in start order (dependencies first). */
export const SERVICES = ['inventory', 'payment', 'notification', 'order', 'gateway'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** The key the stack configures on the gateway; send it as `x-api-key`. */
export const API_KEY = 'e2e-key';

const SERVICES_DIR = join(__dirname, '..', '..', '..', 'services');

export interface StackOptions {
  databaseUrl: string;
  redisUrl: string;
  /** Every Redis key of this stack starts with it, so stacks can share a server. */
  redisKeyPrefix: string;
  kafkaBrokers: string[];
  /**
   * The order-events topic and the consumer groups get names of this stack's own, so stacks can
   * share a broker.
   */
  kafkaPrefix: string;
  /** OTLP/HTTP endpoint the services export traces, metrics and logs to. */
  otlpEndpoint?: string;
  /**
   * How they encode it: http/json for an OTLP capture, which reads nothing else. Unset, the
   * SDK's default applies (http/protobuf), as in compose.
   */
  otlpProtocol?: 'http/json' | 'http/protobuf';
  /** The workshop flag file every service reads (FLAGS_FILE). Default: the repository's. */
  flagsFile?: string;
  /**
   * `preload` (default): each service starts as its `start` script says, with the telemetry
   * preload. `none`: without it, so the OpenTelemetry SDK and its instrumentations are never
   * loaded (what a benchmark compares against; not the same as OTEL_SDK_DISABLED, under which
   * the SDK's modules are still required).
   */
  telemetry?: 'preload' | 'none';
  /** Extra variables per service, e.g. a payment decline rate. */
  env?: Partial<Record<ServiceName, Record<string, string>>>;
  /**
   * How many processes of a service to run (default 1), as a deployment scales it: consumers
   * share their group's partitions, and the gateway reaches several order instances through a
   * round-robin TCP balancer (one connection to each in turn), as a Kubernetes Service would.
   * Only order, inventory and notification scale.
   */
  instances?: Partial<Record<'order' | 'inventory' | 'notification', number>>;
}

export interface RunningService {
  readonly name: ServiceName;
  readonly url: string;
  /** The running process's id; undefined before the first start. */
  readonly pid: number | undefined;
  /** Everything the process wrote so far (JSON log lines), across restarts. */
  output(): string;
  /** SIGTERM (or the given signal) and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Starts it again on the same port and waits until it is ready. */
  start(): Promise<void>;
  /** Exits nobody asked for (a crash), with their exit code or signal. */
  unexpectedExits(): readonly UnexpectedExit[];
}

export interface UnexpectedExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: Date;
}

export interface Stack {
  readonly gatewayUrl: string;
  /** The first instance of each service. */
  readonly services: Record<ServiceName, RunningService>;
  /** Every instance of each service, the first one first. */
  readonly instances: Record<ServiceName, readonly RunningService[]>;
  stop(): Promise<void>;
}

class ServiceProcess implements RunningService {
  private child: ChildProcess | undefined;
  private readonly chunks: string[] = [];
  private exited: Promise<number | null> = Promise.resolve(null);
  private stopping = false;
  private readonly crashes: UnexpectedExit[] = [];

  constructor(
    readonly name: ServiceName,
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly preload: boolean,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  output(): string {
    return this.chunks.join('');
  }

  unexpectedExits(): readonly UnexpectedExit[] {
    return this.crashes;
  }

  async start(): Promise<void> {
    // Exactly the service's `start` script: the telemetry preload before any application module.
    const args = this.preload
      ? ['--require', '@mesh/telemetry/register', 'dist/main.js']
      : ['dist/main.js'];
    const child = spawn(process.execPath, args, {
      cwd: join(SERVICES_DIR, this.name),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.stopping = false;
    child.stdout?.on('data', (chunk: Buffer) => this.chunks.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => this.chunks.push(chunk.toString()));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        if (!this.stopping) this.crashes.push({ code, signal, at: new Date() });
        resolve(code);
      }),
    );
    await this.waitUntilReady(child);
  }

  private async waitUntilReady(child: ChildProcess, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${this.name} exited during start:\n${this.tail()}`);
      }
      try {
        const response = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(1_000) });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${this.name} not ready within ${timeoutMs} ms:\n${this.tail()}`);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null)
      return child?.exitCode ?? null;
    this.stopping = true;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The last lines, for error messages. */
  tail(lines = 40): string {
    return this.output().split('\n').slice(-lines).join('\n');
  }
}

/**
 * Starts the five services as separate Node processes, each exactly as in
 * production (built `dist/`, telemetry preload), wired to each other on free ports, and waits
 * until every one answers `/readyz`.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const counts = Object.fromEntries(
    SERVICES.map((name) => {
      const count = (options.instances as Partial<Record<ServiceName, number>>)?.[name] ?? 1;
      if (!Number.isInteger(count) || count < 1) {
        throw new Error(`instances of ${name}: a whole number ≥ 1, not ${count}`);
      }
      return [name, count];
    }),
  ) as Record<ServiceName, number>;
  const ports = Object.fromEntries(
    await Promise.all(
      SERVICES.map(
        async (name) =>
          [
            name,
            await Promise.all(Array.from({ length: counts[name] }, () => freePort())),
          ] as const,
      ),
    ),
  ) as Record<ServiceName, number[]>;
  // Callers reach a service with several instances through the balancer.
  const balancer = counts.order > 1 ? await startRoundRobinBalancer(ports.order) : undefined;
  const url = (name: ServiceName) =>
    name === 'order' && balancer
      ? `http://127.0.0.1:${balancer.port}`
      : `http://127.0.0.1:${ports[name][0]}`;

  const common = (name: ServiceName, port: number): Record<string, string> => ({
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'info',
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    REDIS_KEY_PREFIX: `${options.redisKeyPrefix}${name}:`,
    MIGRATE_ON_START: 'true',
    KAFKA_BROKERS: options.kafkaBrokers.join(','),
    ORDER_EVENTS_TOPIC: `${options.kafkaPrefix}order-events`,
    KAFKA_GROUP_ID: `${options.kafkaPrefix}${name}`,
    ...(options.flagsFile ? { FLAGS_FILE: options.flagsFile } : {}),
    OTEL_SERVICE_NAME: name,
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=e2e',
    ...(options.otlpEndpoint
      ? {
          OTEL_EXPORTER_OTLP_ENDPOINT: options.otlpEndpoint,
          ...(options.otlpProtocol ? { OTEL_EXPORTER_OTLP_PROTOCOL: options.otlpProtocol } : {}),
          // Export within a fraction of a second so tests wait briefly.
          OTEL_BSP_SCHEDULE_DELAY: '100',
          OTEL_BLRP_SCHEDULE_DELAY: '100',
          OTEL_METRIC_EXPORT_INTERVAL: '1000',
        }
      : {}),
  });
  const specific: Record<ServiceName, Record<string, string>> = {
    inventory: {},
    notification: {},
    payment: {
      PAYMENT_LATENCY_MS: '20',
      PAYMENT_LATENCY_JITTER_MS: '10',
      PAYMENT_DECLINE_RATE: '0',
    },
    order: { INVENTORY_URL: url('inventory'), PAYMENT_URL: url('payment') },
    gateway: {
      ORDER_URL: url('order'),
      INVENTORY_URL: url('inventory'),
      NOTIFICATION_URL: url('notification'),
      API_KEYS: API_KEY,
      RATE_LIMIT_MAX: '100000',
    },
  };

  const instances = Object.fromEntries(
    SERVICES.map((name) => [
      name,
      ports[name].map(
        (port) =>
          new ServiceProcess(
            name,
            port,
            { ...common(name, port), ...specific[name], ...options.env?.[name] },
            options.telemetry !== 'none',
          ),
      ),
    ]),
  ) as Record<ServiceName, ServiceProcess[]>;
  const services = Object.fromEntries(SERVICES.map((name) => [name, instances[name][0]])) as Record<
    ServiceName,
    ServiceProcess
  >;
  const startAll = (name: ServiceName) =>
    Promise.all(instances[name].map((instance) => instance.start()));
  const stop = async () => {
    await Promise.all(
      [...SERVICES].reverse().flatMap((name) => instances[name].map((instance) => instance.stop())),
    );
    await balancer?.close();
  };
  try {
    // Dependencies first: the gateway's readiness needs order and inventory.
    await Promise.all([startAll('inventory'), startAll('payment'), startAll('notification')]);
    await startAll('order');
    await startAll('gateway');
  } catch (error) {
    await stop();
    throw error;
  }
  return { gatewayUrl: url('gateway'), services, instances, stop };
}

interface Balancer {
  readonly port: number;
  close(): Promise<void>;
}

/** Hands each new connection to the next port in turn; bytes pass through untouched. */
async function startRoundRobinBalancer(ports: readonly number[]): Promise<Balancer> {
  let next = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(ports[next++ % ports.length] ?? 0, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      // Either side failing ends the pair; the caller sees a reset, as through a real balancer.
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
