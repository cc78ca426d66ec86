import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const DIST = join(__dirname, '..', 'dist');

/** Every module file a fresh Node process has loaded after requiring `entry`. */
function modulesLoadedBy(entry: string): string[] {
  const script = `require(${JSON.stringify(entry)});
process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

// The SDK, its exporters and the instrumentations are several hundred modules, loaded for the
// side effect of patching libraries: business code importing a helper must not load them.
const SDK_MODULE =
  /[/\\](@opentelemetry[/\\](sdk-|exporter-|instrumentation|auto-instrumentations|resources)|@fastify[/\\]otel)/;

describe('the entry business code imports', () => {
  it('when @mesh/telemetry is required, then no SDK, exporter or instrumentation module is loaded', () => {
    const loaded = modulesLoadedBy(join(DIST, 'index.js'));
    expect(loaded.some((file) => file.includes(join('@opentelemetry', 'api')))).toBe(true);
    expect(loaded.filter((file) => SDK_MODULE.test(file))).toEqual([]);
  });

  it('when @mesh/telemetry/sdk is required, then the SDK and the instrumentations are loaded', () => {
    const loaded = modulesLoadedBy(join(DIST, 'sdk.js'));
    for (const pkg of ['sdk-node', 'sdk-trace', 'instrumentation-http', 'instrumentation-pg']) {
      expect({ pkg, loaded: loaded.some((file) => file.includes(pkg)) }).toEqual({
        pkg,
        loaded: true,
      });
    }
  });
});
