import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  eventually,
  freePort,
  startKafka,
  startPostgres,
  startRedis,
  uniqueName,
} from '@mesh/testkit';

/*
 * The runner behind scripts/run.sh, started as run.sh starts it (node dist/main.js) but with its
 * output to pipes (JSON lines), on free ports, against the tests' PostgreSQL, Redis and Kafka
 * (given, so it starts no native ones). One order goes through the gateway; then SIGINT, as a
 * Ctrl-C would send.
 */

const MAIN = join(__dirname, '..', 'dist', 'main.js');
const SERVICES = ['gateway', 'order', 'payment', 'inventory', 'notification'];
const PORT_VARIABLES = [
  'GATEWAY_PORT',
  'ORDER_PORT',
  'PAYMENT_PORT',
  'INVENTORY_PORT',
  'NOTIFICATION_PORT',
  'STOREFRONT_PORT',
  'OTLP_GRPC_PORT',
  'OTLP_HTTP_PORT',
  'COLLECTOR_HEALTH_PORT',
  'COLLECTOR_METRICS_PORT',
  'COLLECTOR_TELEMETRY_PORT',
];

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('scripts/run.sh: Mesh run natively', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  const ports: Record<string, number> = {};
  let runner: ChildProcess;
  let exited: Promise<number | null>;
  let stdout = '';
  let stderr = '';
  const pids: Record<string, number> = {};

  beforeAll(async () => {
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
    for (const variable of PORT_VARIABLES) ports[variable] = await freePort();
    runner = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DATABASE_URL: postgres.url,
        REDIS_URL: redis.url,
        KAFKA_BROKERS: kafka.brokers.join(','),
        MESH_RUN_PREFIX: `${uniqueName('run')}.`,
        ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
        // Export within a fraction of a second, so the test waits briefly.
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_METRIC_EXPORT_INTERVAL: '1000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    runner.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    runner.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    exited = new Promise((resolve) => runner.once('exit', (code) => resolve(code)));
    cleanup.push(async () => {
      if (runner.exitCode === null && runner.signalCode === null) runner.kill('SIGKILL');
      for (const pid of Object.values(pids)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    });

    await eventually(
      () => {
        if (runner.exitCode !== null) throw new Error(`the runner exited:\n${stderr}`);
        return stderr.includes('Mesh is running natively') ? true : undefined;
      },
      'the runner to say Mesh is running',
      { timeoutMs: 90_000, intervalMs: 250 },
    ).catch((error: Error) => {
      throw new Error(
        `${error.message}\n--- stderr ---\n${stderr}\n--- stdout (tail) ---\n${stdout.slice(-4000)}`,
      );
    });
    for (const match of stderr.matchAll(/^ {2}(\w+) +http:\/\/\S+ +pid (\d+)/gm)) {
      if (match[1] && match[2]) pids[match[1]] = Number(match[2]);
    }
  }, 120_000);

  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  });

  it('when it says it is running, then every service answers /readyz on its port and the banner names their pids', async () => {
    expect(Object.keys(pids).sort()).toEqual([...SERVICES, 'storefront', 'otelcol'].sort());
    for (const name of SERVICES) {
      const response = await fetch(
        `http://127.0.0.1:${ports[`${name.toUpperCase()}_PORT`]}/readyz`,
      );
      expect({ name, status: response.status }).toEqual({ name, status: 200 });
    }
    expect(stderr).toContain(`curl -si -X POST http://127.0.0.1:${ports.GATEWAY_PORT}/api/orders`);
  });

  it('when it says it is running, then the storefront serves its page and a config naming the native gateway and collector', async () => {
    const storefront = `http://127.0.0.1:${ports.STOREFRONT_PORT}`;
    expect(stderr).toMatch(new RegExp(`^ {2}storefront +${storefront} +pid \\d+`, 'm'));
    const page = await fetch(`${storefront}/`);
    expect({ status: page.status, type: page.headers.get('content-type') }).toEqual({
      status: 200,
      type: 'text/html; charset=utf-8',
    });
    const config = (await (await fetch(`${storefront}/config.json`)).json()) as Record<
      string,
      string
    >;
    expect(config).toMatchObject({
      gatewayUrl: `http://127.0.0.1:${ports.GATEWAY_PORT}`,
      otlpTracesUrl: `http://127.0.0.1:${ports.OTLP_HTTP_PORT}/v1/traces`,
      grafanaUrl: '',
    });
  });

  it("then the gateway and the collector let the storefront's origin, and no other, call them from a page", async () => {
    const preflight = async (url: string, origin: string) => {
      const response = await fetch(url, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      return response.headers.get('access-control-allow-origin');
    };
    const storefront = `http://127.0.0.1:${ports.STOREFRONT_PORT}`;
    const elsewhere = 'http://127.0.0.1:9';
    const gateway = `http://127.0.0.1:${ports.GATEWAY_PORT}/api/orders`;
    const collector = `http://127.0.0.1:${ports.OTLP_HTTP_PORT}/v1/traces`;
    expect({
      gateway: await preflight(gateway, storefront),
      collector: await preflight(collector, storefront),
      gatewayElsewhere: await preflight(gateway, elsewhere),
      collectorElsewhere: await preflight(collector, elsewhere),
    }).toEqual({
      gateway: storefront,
      collector: storefront,
      gatewayElsewhere: null,
      collectorElsewhere: null,
    });
  });

  let traceId = '';

  it('when an order is placed through the gateway with the workshop key, then it is confirmed', async () => {
    const response = await fetch(`http://127.0.0.1:${ports.GATEWAY_PORT}/api/orders`, {
      method: 'POST',
      headers: { 'x-api-key': 'mesh-demo-key', 'content-type': 'application/json' },
      body: JSON.stringify({
        customerId: 'run-test',
        items: [{ sku: 'MUG-BLUE-350', quantity: 1 }],
      }),
    });
    const body = (await response.json()) as { status?: string };
    expect({ status: response.status, order: body.status }).toEqual({
      status: 201,
      order: 'CONFIRMED',
    });
    traceId = response.headers.get('x-trace-id') ?? '';
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('then the collector received spans from all five services, each under its own name', async () => {
    // span_metrics turns every span the collector receives into a call count per service.name.
    const metrics = `http://127.0.0.1:${ports.COLLECTOR_METRICS_PORT}/metrics`;
    const named = await eventually(
      async () => {
        const text = await (await fetch(metrics)).text();
        const names = new Set(
          [...text.matchAll(/^traces_spanmetrics_calls_total\{[^}]*service_name="([^"]+)"/gm)].map(
            (match) => match[1],
          ),
        );
        return SERVICES.every((name) => names.has(name)) ? [...names].sort() : undefined;
      },
      `span metrics of ${SERVICES.join(', ')} at ${metrics}`,
      { timeoutMs: 45_000, intervalMs: 500 },
    );
    expect(named).toEqual([...SERVICES].sort());
  }, 60_000);

  it('then stdout holds only JSON lines, each naming its service, and the order’s lines carry its trace id', () => {
    const lines = stdout.split('\n').filter((line) => line !== '');
    const parsed = lines.map((line) => JSON.parse(line) as { service?: string; trace_id?: string });
    const services = new Set(parsed.map((line) => line.service));
    expect(SERVICES.filter((name) => !services.has(name))).toEqual([]);
    expect(
      [...services].filter((name) => !['otelcol', 'storefront', ...SERVICES].includes(name ?? '')),
    ).toEqual([]);
    const ofOrder = parsed.filter((line) => line.trace_id === traceId);
    expect(ofOrder.length).toBeGreaterThan(0);
  });

  it('when it receives SIGINT, then it stops every process it started, exits 0 and frees every port', async () => {
    runner.kill('SIGINT');
    const code = await exited;
    expect({ code, stderr: stderr.slice(stderr.indexOf('run: stopping')) }).toEqual({
      code: 0,
      stderr:
        'run: stopping the five services and the storefront, then the collector\nrun: stopped.\n',
    });
    expect(Object.entries(pids).filter(([, pid]) => isAlive(pid))).toEqual([]);
    const busy = [];
    for (const [variable, port] of Object.entries(ports))
      if (!(await portIsFree(port))) busy.push(variable);
    expect(busy).toEqual([]);
  }, 60_000);
});
