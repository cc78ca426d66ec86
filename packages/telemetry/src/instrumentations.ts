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
import { linkUntrustedCaller } from './edge-propagator';
import { isTracingEachMessage } from './messaging';

/** Probes and scrapes would otherwise start a trace every few seconds. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/livez', '/metrics']);

function isUntracedPath(url: string | undefined): boolean {
  return UNTRACED_PATHS.has((url ?? '').split('?', 1)[0] ?? '');
}

/**
 * What a Redis span records as its statement: the command and the key it works on, never values
 * or script arguments. The instrumentation's default records every argument of EVAL/EVALSHA and
 * GET-like commands; Mesh's rate limiter passes its key (a hash of the API key, or the client's
 * IP address) that way, and a cache value could be anything.
 */
export function redisStatement(command: string, args: unknown[]): string {
  if (args.length === 0) return command;
  // Scripts and functions: the first arguments are a script, a digest or a key count, and the
  // rest are keys and values mixed; none of it is worth the risk.
  if (/^(eval|evalsha|eval_ro|evalsha_ro|fcall|fcall_ro)$/i.test(command)) {
    return `${command} [${args.length} arguments]`;
  }
  const [key] = args;
  const keyText = typeof key === 'string' ? key : '?';
  return args.length > 1
    ? `${command} ${keyText} [${args.length - 1} more arguments]`
    : `${command} ${keyText}`;
}

type EachBatchPatch = (kafkaClient: unknown) => (eachBatch: unknown) => unknown;

/**
 * The kafkajs instrumentation, except that it leaves an eachBatch handler marked with
 * tracesEachMessage() as it is: such a handler makes each message's `process` span itself (see
 * messaging.ts), and the instrumentation's batch spans would duplicate them. The hook is the
 * instrumentation's internal method that wraps eachBatch; the telemetry tests pin both paths
 * (a marked handler gets one span per message, a plain one the instrumentation's batch spans).
 */
function kafkaJsInstrumentation(): KafkaJsInstrumentation {
  const instrumentation = new KafkaJsInstrumentation();
  const internals = instrumentation as unknown as { _getConsumerEachBatchPatch: EachBatchPatch };
  const patchEachBatch = internals._getConsumerEachBatchPatch.bind(instrumentation);
  internals._getConsumerEachBatchPatch = (kafkaClient) => {
    const patch = patchEachBatch(kafkaClient);
    return (eachBatch) => (isTracingEachMessage(eachBatch) ? eachBatch : patch(eachBatch));
  };
  return instrumentation;
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
      // A request from a caller the edge policy does not trust: link to the caller's trace.
      requestHook: linkUntrustedCaller,
    }),
    // Outgoing HTTP through fetch.
    new UndiciInstrumentation(),
    // Order and payment routes.
    new ExpressInstrumentation(),
    // Queries outside a unit of work (pool housekeeping, pollers) would each become a one-span
    // trace; only trace them inside one.
    new PgInstrumentation({ requireParentSpan: true }),
    new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: redisStatement }),
    // send/process spans and trace context in message headers.
    kafkaJsInstrumentation(),
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
