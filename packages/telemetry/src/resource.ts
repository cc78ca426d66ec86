import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultResource, type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

// Not yet in the stable semantic conventions export, so named here.
// https://opentelemetry.io/docs/specs/semconv/resource/deployment-environment/
export const ATTR_DEPLOYMENT_ENVIRONMENT_NAME = 'deployment.environment.name';

/**
 * The base resource every Mesh process starts from: the SDK defaults plus a fallback
 * `service.version` (the version in the package.json of the working directory) and
 * `deployment.environment.name` ("development").
 *
 * These are only fallbacks. The NodeSDK merges the env, process and host detectors on top, so
 * `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` always win.
 */
export function baseResource(cwd: string = process.cwd()): Resource {
  const fallbacks: Record<string, string> = { [ATTR_DEPLOYMENT_ENVIRONMENT_NAME]: 'development' };
  const version = readPackageVersion(cwd);
  if (version) fallbacks[ATTR_SERVICE_VERSION] = version;
  return defaultResource().merge(resourceFromAttributes(fallbacks));
}

function readPackageVersion(cwd: string): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}
