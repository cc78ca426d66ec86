import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { repoPath } from './repo';

/*
 * docker-compose.yml as plain data, for checks that need no Docker. Only the parts the checks
 * read are typed; see https://github.com/compose-spec/compose-spec/blob/main/spec.md.
 */

export type ComposeEnvironment = Record<string, string | number | boolean | null> | string[];

export interface ComposeBuild {
  context?: string;
  dockerfile?: string;
  args?: Record<string, string> | string[];
}

export interface ComposeService {
  image?: string;
  build?: string | ComposeBuild;
  command?: string | string[];
  environment?: ComposeEnvironment;
  ports?: (string | number | { host_ip?: string; published?: string | number; target: number })[];
  volumes?: (string | { type?: string; source?: string; target: string })[];
  depends_on?: string[] | Record<string, { condition?: string; required?: boolean }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  deploy?: { resources?: { limits?: { memory?: string | number } } };
  mem_limit?: string | number;
  restart?: string;
  /** How long `docker compose stop`/`down` waits after SIGTERM before SIGKILL (default 10s). */
  stop_grace_period?: string;
  profiles?: string[];
}

export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export const COMPOSE_FILE = repoPath('docker-compose.yml');

/**
 * Parses the compose file the way Compose reads YAML: `<<` merge keys (which the file uses for
 * the settings all Mesh services share) are resolved.
 */
export function loadCompose(file = COMPOSE_FILE): ComposeFile {
  return parse(readFileSync(file, 'utf8'), { merge: true }) as ComposeFile;
}

/** The variables a service's `environment` sets, as name → value. */
export function environmentOf(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const at = entry.indexOf('=');
        return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, String(value)]));
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * A compose memory size in bytes. Compose reads "144M", "1g", "512mb" in binary units (as
 * docker's RAMInBytes does); a bare number is bytes.
 */
export function memoryBytes(size: string | number): number {
  if (typeof size === 'number') return size;
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(size.trim());
  const unit = UNITS[match?.[2]?.toLowerCase() ?? ''];
  if (!match?.[1] || unit === undefined) throw new Error(`not a memory size: "${size}"`);
  return Number(match[1]) * unit;
}

/** The memory limit of a service in bytes, or undefined when it has none. */
export function memoryLimitOf(service: ComposeService): number | undefined {
  const limit = service.deploy?.resources?.limits?.memory ?? service.mem_limit;
  return limit === undefined ? undefined : memoryBytes(limit);
}

export interface PublishedPort {
  hostIp: string | undefined;
  published: string;
  target: string;
}

/** Every port a service publishes on the host, short or long syntax. */
export function publishedPorts(service: ComposeService): PublishedPort[] {
  return (service.ports ?? []).map((port) => {
    if (typeof port === 'object') {
      return {
        hostIp: port.host_ip,
        published: String(port.published ?? ''),
        target: String(port.target),
      };
    }
    // [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]
    const parts = String(port).split('/')[0]?.split(':') ?? [];
    const target = parts.pop() ?? '';
    const published = parts.pop() ?? '';
    return { hostIp: parts.length > 0 ? parts.join(':') : undefined, published, target };
  });
}

export interface BindMount {
  /** As written in the compose file, relative to the file's folder. */
  source: string;
  target: string;
}

/** Host paths a service mounts (bind mounts); named volumes are left out. */
export function bindMounts(service: ComposeService): BindMount[] {
  return (service.volumes ?? []).flatMap((volume): BindMount[] => {
    if (typeof volume === 'object') {
      return volume.type === 'bind' && volume.source
        ? [{ source: volume.source, target: volume.target }]
        : [];
    }
    const [source = '', target = ''] = volume.split(':');
    return source.startsWith('.') || source.startsWith('/') ? [{ source, target }] : [];
  });
}

/** depends_on in its long form: dependency → condition (undefined for the short form). */
export function dependenciesOf(service: ComposeService): Record<string, string | undefined> {
  const dependsOn = service.depends_on ?? {};
  if (Array.isArray(dependsOn))
    return Object.fromEntries(dependsOn.map((name) => [name, undefined]));
  return Object.fromEntries(
    Object.entries(dependsOn).map(([name, options]) => [name, options?.condition]),
  );
}

/** The build's Dockerfile path relative to the repository root, when the service is built. */
export function dockerfileOf(service: ComposeService): string | undefined {
  if (service.build === undefined) return undefined;
  const build = typeof service.build === 'string' ? { context: service.build } : service.build;
  const context = build.context ?? '.';
  return `${context.replace(/\/$/, '')}/${build.dockerfile ?? 'Dockerfile'}`.replace(/^\.\//, '');
}

/** Build arguments of a built service, as name → value. */
export function buildArgsOf(service: ComposeService): Record<string, string> {
  if (service.build === undefined || typeof service.build === 'string') return {};
  const args = service.build.args ?? {};
  if (!Array.isArray(args)) return { ...args };
  return Object.fromEntries(args.map((entry) => entry.split('=', 2) as [string, string]));
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A compose duration ("1m30s", "5s", "500ms") in milliseconds. */
export function durationMs(duration: string): number {
  const parts = [...duration.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map(([part]) => part).join('') !== duration.trim())
    throw new Error(`not a compose duration: "${duration}"`);
  return parts.reduce(
    (sum, [, value, unit]) => sum + Number(value) * (DURATION_UNITS[unit ?? ''] ?? 0),
    0,
  );
}
