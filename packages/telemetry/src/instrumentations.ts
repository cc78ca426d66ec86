import type { IncomingMessage } from 'node:http';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';

/** Probes and scrapes would otherwise start a trace every few seconds. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/livez', '/metrics']);

function isUntracedPath(url: string | undefined): boolean {
  return UNTRACED_PATHS.has((url ?? '').split('?', 1)[0] ?? '');
}

/**
 * Exactly the libraries Mesh uses. Left out on purpose: fs and dns (a span per file operation or
 * lookup is noise) and net (it would duplicate the http spans at socket level).
 */
export function createInstrumentations(): Instrumentation[] {
  return [
    // Incoming and outgoing HTTP through node:http.
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (request: IncomingMessage) => isUntracedPath(request.url),
    }),
    // Outgoing HTTP through fetch.
    new UndiciInstrumentation(),
    // Order and payment routes.
    new ExpressInstrumentation(),
    // Queries outside a unit of work (pool housekeeping, pollers) would each become a one-span
    // trace; only trace them inside one.
    new PgInstrumentation({ requireParentSpan: true }),
    new IORedisInstrumentation({ requireParentSpan: true }),
    // send/process spans and trace context in message headers.
    new KafkaJsInstrumentation(),
    // Trace ids in log lines, and log export.
    new PinoInstrumentation(),
    // Event loop, GC and heap metrics.
    new RuntimeNodeInstrumentation(),
    new FastifyOtelInstrumentation({
      // Adds the plugin to every fastify instance as it is created: no per-service wiring.
      registerOnInitialization: true,
      ignorePaths: (route) => isUntracedPath(route.url),
    }),
  ];
}
