import * as diagnostics from 'node:diagnostics_channel';
import { context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import { InstrumentationBase, type InstrumentationConfig } from '@opentelemetry/instrumentation';

/** Published by fastify for every instance it creates (fastify ≥ 4.16). */
const FASTIFY_INITIALIZATION = 'fastify.initialization';

/** The little of fastify this needs; the package does not depend on fastify at run time. */
interface FastifyRequestLike {
  routeOptions: { url?: string };
}
interface FastifyLike {
  addHook(
    name: 'onRequest',
    hook: (request: FastifyRequestLike, reply: unknown, done: () => void) => void,
  ): unknown;
}

/**
 * Hands the matched route to the http instrumentation, which puts it on its SERVER span as
 * `http.route` and names the span after it (`POST /orders`) when the response ends.
 */
function recordRoute(request: FastifyRequestLike, _reply: unknown, done: () => void): void {
  const rpcMetadata = getRPCMetadata(context.active());
  const route = request.routeOptions.url;
  if (rpcMetadata?.type === RPCType.HTTP && route !== undefined) rpcMetadata.route = route;
  done();
}

function onFastifyInitialization(message: unknown): void {
  (message as { fastify: FastifyLike }).fastify.addHook('onRequest', recordRoute);
}

/**
 * Fastify's route naming without its spans: what `@fastify/otel` does for the http SERVER span,
 * and nothing else. Its own spans (a `request` span under the SERVER span, one per hook and one
 * for the handler) are framework detail; `@fastify/otel` replaces this when they are wanted.
 * Like `@fastify/otel`, it reaches every instance through fastify's diagnostics channel, so no
 * service wires anything.
 */
export class FastifyRouteInstrumentation extends InstrumentationBase {
  constructor(config: InstrumentationConfig = {}) {
    super('@mesh/telemetry/fastify-route', '0.1.0', config);
  }

  protected init(): [] {
    return [];
  }

  override enable(): void {
    // Unsubscribing first: enable may be called again, and the route must be recorded once.
    diagnostics.unsubscribe(FASTIFY_INITIALIZATION, onFastifyInitialization);
    diagnostics.subscribe(FASTIFY_INITIALIZATION, onFastifyInitialization);
    super.enable();
  }

  override disable(): void {
    diagnostics.unsubscribe(FASTIFY_INITIALIZATION, onFastifyInitialization);
    super.disable();
  }
}
