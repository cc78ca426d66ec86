import { type ChildProcess, spawn } from 'node:child_process';
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
  readonly services: Record<ServiceName, RunningService>;
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
  const ports = Object.fromEntries(
    await Promise.all(SERVICES.map(async (name) => [name, await freePort()] as const)),
  ) as Record<ServiceName, number>;
  const url = (name: ServiceName) => `http://127.0.0.1:${ports[name]}`;

  const common = (name: ServiceName): Record<string, string> => ({
    HOST: '127.0.0.1',
    PORT: String(ports[name]),
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

  const services = {} as Record<ServiceName, ServiceProcess>;
  for (const name of SERVICES) {
    services[name] = new ServiceProcess(
      name,
      ports[name],
      { ...common(name), ...specific[name], ...options.env?.[name] },
      options.telemetry !== 'none',
    );
  }
  const stop = async () => {
    await Promise.all([...SERVICES].reverse().map((name) => services[name].stop()));
  };
  try {
    // Dependencies first: the gateway's readiness needs order and inventory.
    await Promise.all([
      services.inventory.start(),
      services.payment.start(),
      services.notification.start(),
    ]);
    await services.order.start();
    await services.gateway.start();
  } catch (error) {
    await stop();
    throw error;
  }
  return { gatewayUrl: url('gateway'), services, stop };
}
