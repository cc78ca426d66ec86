import type { Instrumentation } from '@opentelemetry/instrumentation';
import { createInstrumentations, INSTRUMENTATION_NAMES } from '../src/instrumentations';

/** Creates the instrumentations for `env`, unhooks them at once and returns their package names. */
function created(env: NodeJS.ProcessEnv): string[] {
  const instrumentations: Instrumentation[] = createInstrumentations(env);
  for (const instrumentation of instrumentations) instrumentation.disable();
  return instrumentations.map((instrumentation) => instrumentation.instrumentationName);
}

describe('OTEL_NODE_ENABLED_INSTRUMENTATIONS and OTEL_NODE_DISABLED_INSTRUMENTATIONS', () => {
  it('when neither is set, then every library Mesh uses is instrumented', () => {
    expect(created({})).toHaveLength(INSTRUMENTATION_NAMES.length);
    expect(INSTRUMENTATION_NAMES).toEqual([
      'http',
      'undici',
      'express',
      'pg',
      'ioredis',
      'kafkajs',
      'pino',
      'runtime-node',
      'fastify',
    ]);
  });

  it('when some are disabled, then exactly those are left out', () => {
    const names = created({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg, pino' });

    expect(names).toHaveLength(INSTRUMENTATION_NAMES.length - 2);
    expect(names).not.toContain('@opentelemetry/instrumentation-pg');
    expect(names).not.toContain('@opentelemetry/instrumentation-pino');
    expect(names).toContain('@opentelemetry/instrumentation-http');
  });

  it('when some are enabled, then only those, less any also disabled', () => {
    expect(
      created({
        OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,pg,kafkajs',
        OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg',
      }),
    ).toEqual(['@opentelemetry/instrumentation-http', '@opentelemetry/instrumentation-kafkajs']);
  });

  it('when fastify is switched off, then the route-naming instrumentation goes with it', () => {
    const names = created({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'fastify' });

    expect(names).not.toContain('@mesh/telemetry/fastify-route');
    expect(created({})).toContain('@mesh/telemetry/fastify-route');
  });

  it('when the lists are blank or name unknown libraries, then nothing else changes', () => {
    expect(created({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: ' ' })).toHaveLength(
      INSTRUMENTATION_NAMES.length,
    );
    expect(created({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'fs,dns' })).toHaveLength(
      INSTRUMENTATION_NAMES.length,
    );
  });
});
