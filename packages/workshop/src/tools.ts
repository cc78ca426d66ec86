import { execFileSync } from 'node:child_process';
import { repoPath } from './repo';

/** Native tools the workshop checks run, each built by `scripts/<tool>.sh build`. */
export type Tool = 'otelcol' | 'promtool' | 'compose-check' | 'jaeger' | 'helm' | 'kubeconform';

/**
 * The path of a tool that `scripts/workshop-tools.sh build` built (CI does that before the
 * tests). Throws, naming the command to run, when it is not built: the checks never silently
 * skip.
 */
export function toolPath(tool: Tool): string {
  try {
    return execFileSync(repoPath('scripts', `${tool}.sh`), ['path'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim() ?? String(error);
    throw new Error(`${tool} is not built (${stderr}); run scripts/workshop-tools.sh build`);
  }
}

export interface ToolRun {
  /** The exit code (0: success). */
  status: number;
  /** stdout and stderr, interleaved as far as the pipes allow. */
  output: string;
  stdout: string;
}

/** Runs a tool to completion and reports how it ended instead of throwing. */
export function runTool(tool: Tool, args: string[], env: NodeJS.ProcessEnv = process.env): ToolRun {
  try {
    const stdout = execFileSync(toolPath(tool), args, {
      encoding: 'utf8',
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
    return { status: 0, output: stdout, stdout };
  } catch (error) {
    const failure = error as { status?: number; stdout?: string; stderr?: string };
    if (failure.status === undefined) throw error;
    return {
      status: failure.status ?? 1,
      output: `${failure.stdout ?? ''}${failure.stderr ?? ''}`,
      stdout: failure.stdout ?? '',
    };
  }
}
