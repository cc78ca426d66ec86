import { randomBytes } from 'node:crypto';
import { getContainerRuntimeClient } from 'testcontainers';

/** Where a backing service came from: a container started for this test, or the native one. */
export type BackingSource = 'testcontainers' | 'native';

const ENV_HELP =
  'Either start a Docker engine (testcontainers is used then), or provision the services ' +
  'natively and export their addresses: `scripts/services.sh start && eval "$(scripts/services.sh env)"`.';

/**
 * Picks the source for a service: the native one when its MESH_TEST_* variable is set (an
 * explicit choice wins), else testcontainers when a Docker engine answers. Never a fake: with
 * neither available the test fails with instructions.
 */
export async function chooseSource(variable: string): Promise<BackingSource> {
  if (process.env[variable]) return 'native';
  if (await dockerAnswers()) return 'testcontainers';
  throw new Error(`No ${variable} set and no Docker engine reachable. ${ENV_HELP}`);
}

let dockerProbe: Promise<boolean> | undefined;

function dockerAnswers(): Promise<boolean> {
  dockerProbe ??= getContainerRuntimeClient().then(
    () => true,
    () => false,
  );
  return dockerProbe;
}

/** A name no other test (or parallel test run) uses: topics, databases, key prefixes. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export function requireEnv(variable: string): string {
  const value = process.env[variable];
  if (!value) throw new Error(`${variable} is not set. ${ENV_HELP}`);
  return value;
}
