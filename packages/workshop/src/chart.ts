import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { repoPath } from './repo';
import { runTool } from './tools';

/** The Helm chart of Mesh (infra/helm/mesh). */
export const CHART_DIR = repoPath('infra', 'helm', 'mesh');
/** The chart's production-like values, layered over its defaults. */
export const CHART_PRODUCTION_VALUES = repoPath('infra', 'helm', 'mesh', 'values-production.yaml');
/** The chart's values for a demo cluster, layered over its defaults (storefront on). */
export const CHART_DEMO_VALUES = repoPath('infra', 'helm', 'mesh', 'values-demo.yaml');
/** The demo cluster's backing services (infra/helm/mesh-demo-backends). */
export const DEMO_BACKENDS_CHART_DIR = repoPath('infra', 'helm', 'mesh-demo-backends');
/** The release name the checks render with: the chart then names things mesh-<component>. */
export const CHART_RELEASE = 'mesh';
export const CHART_NAMESPACE = 'shop';

/** A chart and the release name it is rendered as (both go into namespace CHART_NAMESPACE). */
export interface ChartSource {
  dir: string;
  release: string;
}
export const MESH_CHART: ChartSource = { dir: CHART_DIR, release: CHART_RELEASE };
/** Installed next to the Mesh release, as docs/kubernetes.md does. */
export const DEMO_BACKENDS_CHART: ChartSource = {
  dir: DEMO_BACKENDS_CHART_DIR,
  release: 'mesh-demo-backends',
};

/** One rendered Kubernetes object. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface ChartRender {
  status: number;
  output: string;
  manifests: Manifest[];
}

/**
 * `helm template` of a chart (the Mesh chart unless told) with the given values files (in order) and `--set` values; the
 * manifests are parsed, empty documents left out. Never throws on a failed render: the status
 * and output say what happened (a test of the chart's refusals reads them).
 */
export function renderChart(
  valuesFiles: string[] = [],
  sets: string[] = [],
  chart: ChartSource = MESH_CHART,
): ChartRender {
  const run = runTool('helm', [
    'template',
    chart.release,
    chart.dir,
    '--namespace',
    CHART_NAMESPACE,
    ...valuesFiles.flatMap((file) => ['--values', file]),
    ...sets.flatMap((set) => ['--set', set]),
  ]);
  if (run.status !== 0) return { status: run.status, output: run.output, manifests: [] };
  const manifests = parseAllDocuments(run.stdout)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`helm template: ${document.errors[0]}`);
      return document.toJS() as Manifest | null;
    })
    .filter((manifest): manifest is Manifest => manifest !== null);
  return { status: 0, output: run.output, manifests };
}

/** `renderChart`, failing with helm's output when the chart does not render. */
export function renderedManifests(
  valuesFiles: string[] = [],
  sets: string[] = [],
  chart: ChartSource = MESH_CHART,
): Manifest[] {
  const render = renderChart(valuesFiles, sets, chart);
  if (render.status !== 0) throw new Error(`helm template failed:\n${render.output}`);
  return render.manifests;
}

/** The chart's collector tiers: the node agent (DaemonSet) and the gateway collectors. */
export type CollectorTier = 'otel-agent' | 'otel-gateway';

/** The collector configuration of one tier, out of its rendered ConfigMap. */
export function chartCollectorConfig(
  manifests: Manifest[],
  tier: CollectorTier,
): Record<string, unknown> {
  const name = `${CHART_RELEASE}-${tier}`;
  const configMap = manifests.find(
    (manifest) => manifest.kind === 'ConfigMap' && manifest.metadata.name === name,
  ) as (Manifest & { data?: Record<string, string> }) | undefined;
  const text = configMap?.data?.['config.yaml'];
  if (text === undefined) throw new Error(`no ConfigMap ${name} with a config.yaml`);
  return parseYaml(text) as Record<string, unknown>;
}
