import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Manifest, repoPath, runTool } from '@mesh/workshop';
import { stringify } from 'yaml';

/** What scripts/kubeconform.sh says about the schemas it unpacked. */
function kubeconformScript(command: 'schema-location' | 'kubernetes-version'): string {
  try {
    return execFileSync(repoPath('scripts', 'kubeconform.sh'), [command], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim() ?? String(error);
    throw new Error(`${stderr}; run scripts/workshop-tools.sh build`);
  }
}

export interface KubeconformResult {
  status: number;
  summary: { valid: number; invalid: number; errors: number; skipped: number };
  /** One entry per resource: its kind/name, and the message when it is not valid. */
  resources: { kind: string; name: string; status: string; msg: string }[];
}

/**
 * Validates manifests with kubeconform against the Kubernetes JSON schemas that
 * scripts/kubeconform.sh unpacked (one pinned Kubernetes version, no network): -strict, so a
 * field the schema does not know is an error, not ignored.
 */
export function kubeconform(manifests: Manifest[]): KubeconformResult {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-kubeconform-'));
  try {
    const file = join(dir, 'manifests.yaml');
    // YAML 1.1, as kubeconform reads it: strings like "no" or "on" stay quoted, not booleans.
    writeFileSync(
      file,
      manifests.map((manifest) => stringify(manifest, { version: '1.1' })).join('---\n'),
    );
    const run = runTool('kubeconform', [
      '-strict',
      '-summary',
      '-verbose',
      '-output',
      'json',
      '-kubernetes-version',
      kubeconformScript('kubernetes-version'),
      '-schema-location',
      kubeconformScript('schema-location'),
      file,
    ]);
    const report = JSON.parse(run.stdout) as Omit<KubeconformResult, 'status'>;
    return { status: run.status, summary: report.summary, resources: report.resources ?? [] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
