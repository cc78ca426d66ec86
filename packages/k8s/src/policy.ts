import type { Manifest } from '@mesh/workshop';

/*
 * The chart's rules for every workload, as data: policyViolations() lists each breach by object
 * and container, so a test shows all of them at once rather than the first.
 */

interface Container {
  name: string;
  image?: string;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  livenessProbe?: unknown;
  readinessProbe?: unknown;
  securityContext?: {
    runAsNonRoot?: boolean;
    privileged?: boolean;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
  };
}

interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: { runAsNonRoot?: boolean };
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
}

const WORKLOAD_KINDS = ['Deployment', 'DaemonSet', 'StatefulSet', 'Job', 'CronJob'];

/** The pod template of a workload (a CronJob's is one level deeper). */
export function podSpecOf(manifest: Manifest): PodSpec | undefined {
  if (!WORKLOAD_KINDS.includes(manifest.kind)) return undefined;
  type Template = { spec?: PodSpec };
  const spec = manifest.spec as {
    template?: Template;
    jobTemplate?: { spec?: { template?: Template } };
  };
  const template = manifest.kind === 'CronJob' ? spec.jobTemplate?.spec?.template : spec.template;
  return template?.spec;
}

/** An image reference with an explicit tag (or digest) that is not `latest`. */
export function isPinnedImage(image: string | undefined): boolean {
  if (!image) return false;
  if (image.includes('@sha256:')) return true;
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : '';
  return tag !== '' && tag !== 'latest';
}

/** The exceptions that no longer match a violation: each must be removed, not left to rot. */
export function unusedExceptions(manifests: Manifest[], exceptions: PolicyException[]): string[] {
  const violations = new Set(allViolations(manifests));
  return exceptions
    .map((exception) => exception.violation)
    .filter((violation) => !violations.has(violation));
}

/**
 * A rule a third-party image cannot keep, named with the reason: the exact violation text
 * policyViolations() would report, so an exception covers that one container and rule only.
 */
export interface PolicyException {
  violation: string;
  why: string;
}

/**
 * Every breach of the rules, less the named exceptions: pinned images; cpu and memory requests and limits on every
 * container; liveness and readiness probes on every long-running container; non-root; nothing
 * privileged, no privilege escalation, read-only root filesystem; no host namespaces.
 */
export function policyViolations(
  manifests: Manifest[],
  exceptions: PolicyException[] = [],
): string[] {
  const excepted = new Set(exceptions.map((exception) => exception.violation));
  return allViolations(manifests).filter((violation) => !excepted.has(violation));
}

function allViolations(manifests: Manifest[]): string[] {
  const violations: string[] = [];
  for (const manifest of manifests) {
    const pod = podSpecOf(manifest);
    if (!pod) continue;
    const where = `${manifest.kind}/${manifest.metadata.name}`;
    if (pod.hostNetwork || pod.hostPID || pod.hostIPC) violations.push(`${where}: host namespace`);
    const containers = [
      ...pod.containers.map((container) => ({ container, init: false })),
      ...(pod.initContainers ?? []).map((container) => ({ container, init: true })),
    ];
    for (const { container, init } of containers) {
      const at = `${where} container ${container.name}`;
      if (!isPinnedImage(container.image))
        violations.push(`${at}: image ${container.image} has no pinned tag`);
      for (const kind of ['requests', 'limits'] as const) {
        for (const resource of ['cpu', 'memory']) {
          if (container.resources?.[kind]?.[resource] === undefined)
            violations.push(`${at}: no ${resource} ${kind}`);
        }
      }
      // An init container runs to completion; probes are for what keeps running.
      if (!init && manifest.kind !== 'Job' && manifest.kind !== 'CronJob') {
        if (!container.livenessProbe) violations.push(`${at}: no liveness probe`);
        if (!container.readinessProbe) violations.push(`${at}: no readiness probe`);
      }
      const security = container.securityContext ?? {};
      if (!(security.runAsNonRoot ?? pod.securityContext?.runAsNonRoot))
        violations.push(`${at}: may run as root`);
      if (security.privileged === true) violations.push(`${at}: privileged`);
      if (security.allowPrivilegeEscalation !== false)
        violations.push(`${at}: allowPrivilegeEscalation is not false`);
      if (security.readOnlyRootFilesystem !== true)
        violations.push(`${at}: root filesystem is writable`);
    }
  }
  return violations;
}
