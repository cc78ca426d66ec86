import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const PACKAGE_DIR = join(__dirname, '..', '..');
const REGISTER = join(PACKAGE_DIR, 'dist', 'register.js');

export interface FixtureMessage {
  type: string;
  [key: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A test program in its own Node process, started exactly as services are: the built telemetry
 * preload first (`--require dist/register.js`), then the program. Library instrumentation only
 * works this way (jest's module loader bypasses the require hooks), and it keeps the producer and
 * consumer of a hop in different processes, as in production.
 */
export class Fixture {
  private readonly messages: FixtureMessage[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly chunks: string[] = [];
  readonly exited: Promise<Exit>;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: FixtureMessage) => {
      this.messages.push(message);
      for (const wake of this.waiters) wake();
    });
    child.stdout?.on('data', (chunk: Buffer) => this.chunks.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => this.chunks.push(chunk.toString()));
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        resolve({ code, signal });
        for (const wake of this.waiters) wake();
      });
    });
  }

  /** `env` adds to the defaults below; a variable given as undefined is left unset. */
  static start(
    name: string,
    env: Record<string, string | undefined>,
    nodeFlags: string[] = [],
  ): Fixture {
    const program = join(PACKAGE_DIR, 'test', 'fixtures', `${name}.ts`);
    const child = spawn(
      process.execPath,
      [...nodeFlags, '--require', REGISTER, '--import', 'tsx', program],
      {
        cwd: PACKAGE_DIR,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          OTEL_SERVICE_NAME: name,
          // The OTLP capture reads OTLP/JSON only.
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      },
    );
    return new Fixture(child);
  }

  /** Everything the program wrote to stdout and stderr so far. */
  output(): string {
    return this.chunks.join('');
  }

  /** Resolves with the first message of this type, failing fast if the program dies first. */
  async message<T extends FixtureMessage>(type: string, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find((m) => m.type === type);
      if (found) return found as T;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`fixture exited before "${type}":\n${this.output()}`);
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no "${type}" within ${timeoutMs} ms:\n${this.output()}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, remaining);
        this.waiters.add(wake);
      });
    }
  }

  send(message: FixtureMessage): void {
    this.child.send(message);
  }

  /** Sends a signal and waits for the exit; kills it hard if it outlives `timeoutMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<Exit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Variables that make the SDK export quickly, so tests wait milliseconds, not seconds. */
export function fastExportEnv(endpoint: string): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_BLRP_SCHEDULE_DELAY: '100',
    OTEL_METRIC_EXPORT_INTERVAL: '500',
  };
}
