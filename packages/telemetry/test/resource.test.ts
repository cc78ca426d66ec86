import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { baseResource } from '../src/resource';
import { startInMemoryTelemetry } from '../src/testing/in-memory';

describe('resource', () => {
  const saved = { ...process.env };
  afterAll(() => {
    process.env = saved;
  });

  it('when OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES are set, then every span carries them with host and process attributes', async () => {
    process.env.OTEL_SERVICE_NAME = 'checkout';
    process.env.OTEL_RESOURCE_ATTRIBUTES =
      'service.version=9.9.9,deployment.environment.name=workshop';
    const telemetry = startInMemoryTelemetry();
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
    const dir = mkdtempSync(join(tmpdir(), 'mesh-resource-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', version: '1.2.3' }));
    expect(baseResource(dir).attributes).toMatchObject({
      'service.version': '1.2.3',
      'deployment.environment.name': 'development',
    });
  });

  it('when the working directory has no package.json, then service.version is left out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-resource-'));
    expect(baseResource(dir).attributes['service.version']).toBeUndefined();
  });
});
