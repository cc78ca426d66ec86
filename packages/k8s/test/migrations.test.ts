import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startPostgres, type TestPostgres } from '@mesh/testkit';
import { type Manifest, renderedManifests, repoPath } from '@mesh/workshop';

/*
 * The migration init containers, run as the pods run them: the rendered command and environment,
 * with the service's own directory standing in for the image's /app (the same package: dist/,
 * migrations/ and its dependencies), against a real PostgreSQL that all four share, as in the
 * chart's default values.
 */

const run = promisify(execFile);

interface InitContainer {
  name: string;
  workingDir: string;
  command: string[];
  env: { name: string; value?: string; valueFrom?: { secretKeyRef?: { key: string } } }[];
}

const SCHEMAS: Record<string, string> = {
  order: 'orders',
  payment: 'payments',
  inventory: 'inventory',
  notification: 'notifications',
};

function initContainerOf(manifests: Manifest[], service: string): InitContainer | undefined {
  const deployment = manifests.find(
    (m) => m.kind === 'Deployment' && m.metadata.name === `mesh-${service}`,
  ) as { spec: { template: { spec: { initContainers?: InitContainer[] } } } } | undefined;
  return deployment?.spec.template.spec.initContainers?.find((c) => c.name === 'migrate');
}

describe('the migration init containers', () => {
  let postgres: TestPostgres;
  const manifests = renderedManifests();

  beforeAll(async () => {
    postgres = await startPostgres();
  });
  afterAll(async () => {
    await postgres?.stop();
  });

  it('when the gateway is rendered, then it has no migration (it owns no schema)', () => {
    expect(initContainerOf(manifests, 'gateway')).toBeUndefined();
  });

  it.each(Object.entries(SCHEMAS))(
    'when the %s pod starts, then its init container applies the migrations of schema %s, and a second run finds nothing to do',
    async (service, schema) => {
      const init = initContainerOf(manifests, service);
      expect(init?.workingDir).toBe('/app');
      const env = Object.fromEntries(
        (init?.env ?? []).map((variable) => [
          variable.name,
          variable.valueFrom?.secretKeyRef?.key === 'DATABASE_URL' ? postgres.url : variable.value,
        ]),
      );
      expect(env.MESH_DB_SCHEMA).toBe(schema);
      const [command, ...args] = init?.command ?? [];
      const options = {
        cwd: repoPath('services', service),
        env: { PATH: process.env.PATH, ...env },
      };
      const first = await run(command ?? 'node', args, options);
      const applied = first.stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { msg?: string; schema?: string; migrations?: string[] })
        .find((entry) => entry.msg === 'applied migrations');
      expect(applied).toMatchObject({ schema });
      expect(applied?.migrations?.length).toBeGreaterThan(0);

      const second = await run(command ?? 'node', args, options);
      expect(second.stdout).not.toContain('applied migrations');
    },
  );
});
