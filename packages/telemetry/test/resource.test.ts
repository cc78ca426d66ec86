import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type OtlpCapture, startOtlpCapture } from '@mesh/otlp-capture';
import { trace } from '@opentelemetry/api';
import { baseResource } from '../src/resource';
import { fastExportEnv } from './support/fixture';
import { startSpanRecorder } from './support/span-recorder';

/** A directory standing in for a service: its package.json, nothing else. */
function packageDir(pkg: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-resource-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
  return dir;
}

describe('resource', () => {
  const saved = { ...process.env };
  afterAll(() => {
    process.env = saved;
  });

  it('when OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES are set, then every span carries them with host and process attributes', async () => {
    process.env.OTEL_SERVICE_NAME = 'checkout';
    process.env.OTEL_RESOURCE_ATTRIBUTES =
      'service.version=9.9.9,deployment.environment.name=workshop';
    const telemetry = startSpanRecorder();
    try {
      trace.getTracer('test').startSpan('step').end();
      const [span] = await telemetry.spans();
      expect(span?.resource.attributes).toMatchObject({
        'service.name': 'checkout',
        'service.version': '9.9.9',
        'deployment.environment.name': 'workshop',
        'telemetry.sdk.language': 'nodejs',
        'process.pid': process.pid,
        'process.runtime.name': 'nodejs',
      });
      expect(span?.resource.attributes['host.name']).toEqual(expect.any(String));
    } finally {
      await telemetry.shutdown();
    }
  });

  it('when nothing is configured, then service.version comes from package.json and the environment is "development"', () => {
    const dir = packageDir({ name: 'x', version: '1.2.3' });
    expect(baseResource(dir).attributes).toMatchObject({
      'service.name': 'x',
      'service.version': '1.2.3',
      'deployment.environment.name': 'development',
    });
  });

  it('when the package is scoped, then service.name is its name without the scope', () => {
    const dir = packageDir({ name: '@mesh/order', version: '0.1.0' });
    expect(baseResource(dir).attributes['service.name']).toBe('order');
  });

  it('when the working directory has no package.json, then service.version is left out and service.name is the SDK default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-resource-'));
    expect(baseResource(dir).attributes['service.version']).toBeUndefined();
    expect(baseResource(dir).attributes['service.name']).toBe('unknown_service:node');
  });
});

// The name a real process exports under, started as `pnpm start` starts a service: the preload,
// in the service's directory.
describe('service.name of a process started with the preload', () => {
  const REGISTER = join(__dirname, '..', 'dist', 'register.js');
  const PROBE = `
    const { trace } = require(${JSON.stringify(require.resolve('@opentelemetry/api'))});
    const { shutdownTelemetry } = require(${JSON.stringify(join(__dirname, '..', 'dist', 'index.js'))});
    trace.getTracer('probe').startSpan(process.env.PROBE_SPAN).end();
    shutdownTelemetry();
  `;
  let capture: OtlpCapture;
  const serviceDir = packageDir({ name: '@mesh/probe', version: '0.1.0' });

  beforeAll(async () => {
    capture = await startOtlpCapture();
  });
  afterAll(() => capture.close());

  it.each([
    ['nothing is configured', 'probe', {}],
    [
      'OTEL_RESOURCE_ATTRIBUTES names the service',
      'from-attributes',
      { OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attributes' },
    ],
    [
      'OTEL_SERVICE_NAME is set as well',
      'from-name',
      { OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attributes', OTEL_SERVICE_NAME: 'from-name' },
    ],
  ])('when %s, then the service is named %s', async (label, expected, env) => {
    const child = spawn(process.execPath, ['--require', REGISTER, '-e', PROBE], {
      cwd: serviceDir,
      env: {
        PATH: process.env.PATH,
        ...fastExportEnv(capture.url),
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        PROBE_SPAN: label,
        ...env,
      },
      stdio: 'inherit',
    });
    await new Promise((resolve) => child.once('exit', resolve));
    const span = await capture.waitFor(() => capture.spans().find((s) => s.name === label), {
      what: `the span of "${label}"`,
    });
    expect(span.serviceName).toBe(expected);
  });
});
