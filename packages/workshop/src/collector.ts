import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { repoPath } from './repo';
import { runTool, toolPath } from './tools';

/** The collector configuration docker-compose.yml runs. */
export const COLLECTOR_CONFIG = repoPath('infra', 'otel-collector', 'config.yaml');
/** The builder manifest that pins the collector's components. */
export const COLLECTOR_MANIFEST = repoPath('infra', 'otel-collector', 'builder-config.yaml');
/** What docker-compose.jaeger.yml merges over config.yaml: traces to Jaeger as well. */
export const COLLECTOR_JAEGER_CONFIG = repoPath('infra', 'otel-collector', 'jaeger.yaml');
/** Jaeger's own configuration in docker-compose.jaeger.yml. */
export const JAEGER_CONFIG = repoPath('infra', 'jaeger', 'config.yaml');
/** The consumer-lag scrape compose merges over config.yaml (its receiver is not in the build). */
export const COLLECTOR_KAFKA_CONFIG = repoPath('infra', 'otel-collector', 'kafka.yaml');

type ConfigSection = Record<string, unknown>;
interface PipelineConfig {
  receivers?: string[];
  processors?: string[];
  exporters?: string[];
}

/**
 * A copy of a collector configuration in which the receiver `receiverId` is replaced by
 * `standIn` (id and settings) in `receivers` and in every pipeline that uses it. How the tests
 * run a configuration whose receiver the built collector lacks: everything after the receiver
 * stays as written. Throws when no pipeline uses the receiver, so the swap cannot be a no-op.
 */
export function withReceiverStandIn(
  config: Record<string, unknown>,
  receiverId: string,
  standIn: { id: string; settings: unknown },
): Record<string, unknown> {
  const copy = structuredClone(config);
  const receivers = (copy.receivers ?? {}) as ConfigSection;
  if (!(receiverId in receivers)) throw new Error(`no receiver ${receiverId} to stand in for`);
  delete receivers[receiverId];
  receivers[standIn.id] = standIn.settings;
  const pipelines = ((copy.service as ConfigSection | undefined)?.pipelines ?? {}) as Record<
    string,
    PipelineConfig
  >;
  let swapped = 0;
  for (const pipeline of Object.values(pipelines)) {
    if (!pipeline.receivers?.includes(receiverId)) continue;
    pipeline.receivers = pipeline.receivers.map((id) => (id === receiverId ? standIn.id : id));
    swapped += 1;
  }
  if (swapped === 0) throw new Error(`no pipeline uses the receiver ${receiverId}`);
  return copy;
}

/** A free TCP port on 127.0.0.1 (free when asked; bind it soon). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** `otelcol validate`: how the built collector judges a configuration. */
export function validateCollectorConfig(configs: string[], env: NodeJS.ProcessEnv = process.env) {
  return runTool(
    'otelcol',
    ['validate', ...configs.flatMap((config) => ['--config', config])],
    env,
  );
}

export type ComponentKind = 'receivers' | 'processors' | 'exporters' | 'connectors' | 'extensions';
export const COMPONENT_KINDS: readonly ComponentKind[] = [
  'receivers',
  'processors',
  'exporters',
  'connectors',
  'extensions',
];

/** The component types compiled into the built collector (`otelcol components`), by kind. */
export function builtComponents(): Record<ComponentKind, string[]> {
  const run = runTool('otelcol', ['components']);
  if (run.status !== 0) throw new Error(`otelcol components failed:\n${run.output}`);
  const listed = parse(run.stdout) as Partial<Record<ComponentKind, { name: string }[]>>;
  return Object.fromEntries(
    COMPONENT_KINDS.map((kind) => [kind, (listed[kind] ?? []).map((c) => c.name).sort()]),
  ) as Record<ComponentKind, string[]>;
}

/** The component types a configuration uses (`otlp_grpc/tempo` is of type `otlp_grpc`), by kind. */
export function configuredComponents(
  config: Record<string, unknown>,
): Record<ComponentKind, string[]> {
  return Object.fromEntries(
    COMPONENT_KINDS.map((kind) => {
      const ids = Object.keys((config[kind] as Record<string, unknown> | undefined) ?? {});
      return [kind, [...new Set(ids.map((id) => id.split('/')[0] ?? id))].sort()];
    }),
  ) as Record<ComponentKind, string[]>;
}

export interface RunningCollector {
  /** Everything the collector logged so far. */
  output(): string;
  stop(): Promise<void>;
}

export interface CollectorOptions {
  /** Configuration files, merged in order (later ones override earlier ones). */
  configs: (string | Record<string, unknown>)[];
  /** The health_check extension's URL: the collector counts as started when it answers 200. */
  healthUrl: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** The binary: the collector built for Mesh, or Jaeger v2 (a collector distribution too). */
  binary?: 'otelcol' | 'jaeger';
}

/**
 * Runs the built collector natively with the given configuration files (objects are written to
 * temporary YAML files first) and waits until its health check answers.
 */
export async function startCollector(options: CollectorOptions): Promise<RunningCollector> {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-otelcol-'));
  const files = options.configs.map((config, index) => {
    if (typeof config === 'string') return config;
    const file = join(dir, `override-${index}.yaml`);
    writeFileSync(file, stringify(config));
    return file;
  });
  const chunks: string[] = [];
  const child: ChildProcess = spawn(
    toolPath(options.binary ?? 'otelcol'),
    files.flatMap((file) => ['--config', file]),
    {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const output = () => chunks.join('');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`the collector exited during start:\n${output()}`);
    }
    try {
      const response = await fetch(options.healthUrl, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return { output, stop };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`the collector was not healthy within the time limit:\n${output()}`);
}
