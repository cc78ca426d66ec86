import type { IncomingMessage } from 'node:http';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { linkUntrustedCaller } from './edge-propagator';
import { FastifyRouteInstrumentation } from './fastify-route';
import { isTracingEachMessage } from './messaging';

/**
 * `true` brings back the spans frameworks make of their own workings (express middleware and
 * router layers, fastify's `request`, hook and handler spans, pg's pool checkouts), e.g. for a
 * lesson on what a framework does inside a request. Off, a trace holds what a reader needs:
 * every hop, query and command, and the services' own steps.
 */
export const FRAMEWORK_SPANS_VARIABLE = 'MESH_TRACE_FRAMEWORK_SPANS';

/** Booleans as the OpenTelemetry environment variables read them: `true`, in any case. */
export function frameworkSpansWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[FRAMEWORK_SPANS_VARIABLE]?.trim().toLowerCase() === 'true';
}

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

function fastifyInstrumentation(frameworkSpans: boolean): Instrumentation {
  if (!frameworkSpans) return new FastifyRouteInstrumentation();
  return new FastifyOtelInstrumentation({
    // Adds the plugin to every fastify instance as it is created: no per-service wiring.
    registerOnInitialization: true,
    ignorePaths: (route) => isUntracedPath(route.url),
  });
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
 * The standard switches of OpenTelemetry's Node.js zero-code setup, read the same way here:
 * comma-separated names without the `@opentelemetry/instrumentation-` prefix. Enabled applies
 * first, then disabled; a name in both is off. https://opentelemetry.io/docs/zero-code/js/configuration/
 */
export const ENABLED_INSTRUMENTATIONS_VARIABLE = 'OTEL_NODE_ENABLED_INSTRUMENTATIONS';
export const DISABLED_INSTRUMENTATIONS_VARIABLE = 'OTEL_NODE_DISABLED_INSTRUMENTATIONS';

function nameList(value: string | undefined): Set<string> | undefined {
  const names = (value ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  return names.length > 0 ? new Set(names) : undefined;
}

/**
 * Exactly the libraries Mesh uses, by the names the switches above take. Left out on purpose:
 * fs and dns (a span per file operation or lookup is noise) and net (it would duplicate the http
 * spans at socket level). Framework spans only with `MESH_TRACE_FRAMEWORK_SPANS=true`; either way
 * the SERVER span is named after the route.
 */
function instrumentationFactories(frameworkSpans: boolean): [string, () => Instrumentation][] {
  return [
    // Incoming and outgoing HTTP through node:http.
    [
      'http',
      () =>
        new HttpInstrumentation({
          ignoreIncomingRequestHook: (request: IncomingMessage) => isUntracedPath(request.url),
          // A request from a caller the edge policy does not trust: link to the caller's trace.
          requestHook: linkUntrustedCaller,
        }),
    ],
    // Outgoing HTTP through fetch.
    ['undici', () => new UndiciInstrumentation()],
    // Order and payment routes. Even with every layer ignored it still hands the matched route
    // to the SERVER span.
    [
      'express',
      () =>
        new ExpressInstrumentation({
          ignoreLayersType: frameworkSpans
            ? []
            : [
                ExpressLayerType.MIDDLEWARE,
                ExpressLayerType.ROUTER,
                ExpressLayerType.REQUEST_HANDLER,
              ],
        }),
    ],
    // Queries outside a unit of work (pool housekeeping, pollers) would each become a one-span
    // trace; only trace them inside one. A pool checkout is framework detail: its wait shows as
    // the gap before the query.
    [
      'pg',
      () => new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: !frameworkSpans }),
    ],
    [
      'ioredis',
      () =>
        new IORedisInstrumentation({
          requireParentSpan: true,
          dbStatementSerializer: redisStatement,
        }),
    ],
    // send/process spans and trace context in message headers.
    ['kafkajs', kafkaJsInstrumentation],
    // Trace ids in log lines, and log export.
    ['pino', () => new PinoInstrumentation()],
    // Event loop, GC and heap metrics.
    ['runtime-node', () => new RuntimeNodeInstrumentation()],
    // Gateway, inventory and notification routes.
    ['fastify', () => fastifyInstrumentation(frameworkSpans)],
  ];
}

/** The names `OTEL_NODE_ENABLED_INSTRUMENTATIONS` and `OTEL_NODE_DISABLED_INSTRUMENTATIONS` take. */
export const INSTRUMENTATION_NAMES: readonly string[] = instrumentationFactories(false).map(
  ([name]) => name,
);

export function createInstrumentations(env: NodeJS.ProcessEnv = process.env): Instrumentation[] {
  const enabled = nameList(env[ENABLED_INSTRUMENTATIONS_VARIABLE]);
  const disabled = nameList(env[DISABLED_INSTRUMENTATIONS_VARIABLE]);
  return instrumentationFactories(frameworkSpansWanted(env))
    .filter(([name]) => (!enabled || enabled.has(name)) && !disabled?.has(name))
    .map(([, create]) => create());
}
