import { join } from 'node:path';

/** The repository root: this file lives in packages/workshop/src (or dist) below it. */
export const REPO_ROOT = join(__dirname, '..', '..', '..');

/** A path inside the repository, e.g. `repoPath('infra', 'loki', 'loki.yaml')`. */
export function repoPath(...segments: string[]): string {
  return join(REPO_ROOT, ...segments);
}
