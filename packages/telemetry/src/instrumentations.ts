import type { IncomingMessage } from 'node:http';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import {
  getNodeAutoInstrumentations,
  type InstrumentationConfigMap,
} from '@opentelemetry/auto-instrumentations-node';
import type { Instrumentation } from '@opentelemetry/instrumentation';

type InstrumentationName = keyof InstrumentationConfigMap;

/**
 * Which instrumentations of the bundle run. Typed over the bundle's own list, so a new or removed
 * entry in a future bundle version is a compile error here rather than a silent change.
 * The bundle no longer ships a fastify instrumentation; `@fastify/otel` covers fastify below.
 */
const ENABLED: Record<InstrumentationName, boolean> = {
  '@opentelemetry/instrumentation-amqplib': false,
  '@opentelemetry/instrumentation-aws-lambda': false,
  '@opentelemetry/instrumentation-aws-sdk': false,
  '@opentelemetry/instrumentation-bunyan': false,
  '@opentelemetry/instrumentation-cassandra-driver': false,
  '@opentelemetry/instrumentation-connect': false,
  '@opentelemetry/instrumentation-cucumber': false,
  '@opentelemetry/instrumentation-dataloader': false,
  '@opentelemetry/instrumentation-dns': false, // one span per lookup: noise
  '@opentelemetry/instrumentation-express': true, // order and payment routes
  '@opentelemetry/instrumentation-fs': false, // one span per file operation: noise
  '@opentelemetry/instrumentation-generic-pool': false,
  '@opentelemetry/instrumentation-graphql': false,
  '@opentelemetry/instrumentation-grpc': false,
  '@opentelemetry/instrumentation-hapi': false,
  '@opentelemetry/instrumentation-host-metrics': false,
  '@opentelemetry/instrumentation-http': true, // incoming and outgoing HTTP (node:http)
  '@opentelemetry/instrumentation-ioredis': true, // Redis commands
  '@opentelemetry/instrumentation-kafkajs': true, // send/process spans and header propagation
  '@opentelemetry/instrumentation-knex': false,
  '@opentelemetry/instrumentation-koa': false,
  '@opentelemetry/instrumentation-lru-memoizer': false,
  '@opentelemetry/instrumentation-memcached': false,
  '@opentelemetry/instrumentation-mongodb': false,
  '@opentelemetry/instrumentation-mongoose': false,
  '@opentelemetry/instrumentation-mysql': false,
  '@opentelemetry/instrumentation-mysql2': false,
  '@opentelemetry/instrumentation-nestjs-core': false,
  '@opentelemetry/instrumentation-net': false, // duplicates the http spans at socket level
  '@opentelemetry/instrumentation-openai': false,
  '@opentelemetry/instrumentation-oracledb': false,
  '@opentelemetry/instrumentation-pg': true, // PostgreSQL queries
  '@opentelemetry/instrumentation-pino': true, // trace ids in log lines, and log export
  '@opentelemetry/instrumentation-redis': false,
  '@opentelemetry/instrumentation-restify': false,
  '@opentelemetry/instrumentation-router': false,
  '@opentelemetry/instrumentation-runtime-node': true, // event loop, GC and heap metrics
  '@opentelemetry/instrumentation-socket.io': false,
  '@opentelemetry/instrumentation-tedious': false,
  '@opentelemetry/instrumentation-undici': true, // outgoing HTTP through fetch
  '@opentelemetry/instrumentation-winston': false,
};

/** Probes and scrapes would otherwise start a trace every few seconds. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/livez', '/metrics']);

function isUntracedPath(url: string | undefined): boolean {
  return UNTRACED_PATHS.has((url ?? '').split('?', 1)[0] ?? '');
}

export function createInstrumentations(): Instrumentation[] {
  const config: InstrumentationConfigMap = {};
  for (const [name, enabled] of Object.entries(ENABLED) as [InstrumentationName, boolean][]) {
    config[name] = { enabled };
  }
  config['@opentelemetry/instrumentation-http'] = {
    enabled: true,
    ignoreIncomingRequestHook: (request: IncomingMessage) => isUntracedPath(request.url),
  };
  // Queries outside a unit of work (pool housekeeping, pollers) would each become a one-span
  // trace; only trace them inside one.
  config['@opentelemetry/instrumentation-pg'] = { enabled: true, requireParentSpan: true };
  config['@opentelemetry/instrumentation-ioredis'] = { enabled: true, requireParentSpan: true };

  return [
    ...getNodeAutoInstrumentations(config),
    new FastifyOtelInstrumentation({
      // Adds the plugin to every fastify instance as it is created: no per-service wiring.
      registerOnInitialization: true,
      ignorePaths: (route) => isUntracedPath(route.url),
    }),
  ];
}
