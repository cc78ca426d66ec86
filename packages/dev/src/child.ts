import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ChildOptions {
  /** The name its log lines carry, e.g. `gateway` or `otelcol`. */
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env: NodeJS.ProcessEnv;
  /** Receives every line the process writes, stdout and stderr alike, whole. */
  onLine: (name: string, line: string) => void;
}

/**
 * A long-running process of the runner. It runs in a process group of its own (detached), so a
 * Ctrl-C at the terminal reaches only the runner, which then stops its processes in order:
 * the services first, the collector after them, so it still receives their last telemetry.
 */
export class Child {
  readonly name: string;
  private readonly process: ChildProcess;
  /** Resolves with how the process ended, whoever ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(options: ChildOptions) {
    this.name = options.name;
    this.process = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // spawn reports a missing executable as an 'error' event; it then also ends with 'exit'.
    this.process.on('error', (error) => options.onLine(this.name, `could not start: ${error}`));
    for (const stream of [this.process.stdout, this.process.stderr]) {
      if (stream)
        createInterface({ input: stream }).on('line', (l) => options.onLine(this.name, l));
    }
    this.exited = new Promise((resolve) =>
      this.process.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /**
   * SIGTERM, then SIGKILL when it has not exited within `graceMs`. Resolves true when it stopped
   * by itself within the time limit.
   */
  async stop(graceMs: number): Promise<boolean> {
    if (!this.running) return true;
    this.process.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), graceMs);
    });
    const outcome = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (outcome !== 'late') return true;
    this.kill();
    await this.exited;
    return false;
  }

  /** SIGKILL at once, e.g. on a second Ctrl-C. */
  kill(): void {
    if (this.running) this.process.kill('SIGKILL');
  }
}

/**
 * Polls `url` until it answers 2xx. Fails when the process exits first or the time is up; the
 * caller shows the process's log, which says why.
 */
export async function waitUntilAnswers(
  child: Child,
  url: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!child.running) throw new Error(`${child.name} exited while starting`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${child.name} did not answer ${url} within ${timeoutMs / 1000} s`);
}
