import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultResource, type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { ATTR_DEPLOYMENT_ENVIRONMENT_NAME } from './attributes';

/**
 * The base resource every Mesh process starts from: the SDK defaults plus fallbacks taken from
 * the package.json of the working directory (the service's own, under `pnpm start` and in the
 * image): `service.name` from its name without the scope (`@mesh/order` → `order`) instead of
 * the SDK's `unknown_service:node`, `service.version` from its version; and
 * `deployment.environment.name` "development".
 *
 * These are only fallbacks. The NodeSDK merges the env, process and host detectors on top, so
 * `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` always win.
 */
export function baseResource(cwd: string = process.cwd()): Resource {
  const fallbacks: Record<string, string> = { [ATTR_DEPLOYMENT_ENVIRONMENT_NAME]: 'development' };
  const { name, version } = readPackage(cwd);
  if (name) fallbacks[ATTR_SERVICE_NAME] = name.replace(/^@[^/]+\//, '');
  if (version) fallbacks[ATTR_SERVICE_VERSION] = version;
  return defaultResource().merge(resourceFromAttributes(fallbacks));
}

function readPackage(cwd: string): { name?: string; version?: string } {
  let pkg: { name?: unknown; version?: unknown };
  try {
    pkg = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8'));
  } catch {
    return {};
  }
  return {
    ...(typeof pkg.name === 'string' && pkg.name !== '' ? { name: pkg.name } : {}),
    ...(typeof pkg.version === 'string' ? { version: pkg.version } : {}),
  };
}
