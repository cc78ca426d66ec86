import { IncomingMessage } from 'node:http';
import {
  type Context,
  context as contextApi,
  createContextKey,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import { limitBaggage, type TraceEdgePolicy, traceEdgePolicy } from './trace-edge';

/** Where an untrusted caller's span context waits for the span that links to it. */
const UNTRUSTED_CALLER = createContextKey('@mesh/telemetry untrusted caller');

/**
 * The configured propagator with the process's edge policy (setTraceEdgePolicy) applied on
 * extract. It has to act here: the http instrumentation starts the SERVER span from the
 * extracted context before any application code runs.
 *
 * An untrusted caller's context is not made the parent: the span starts a new trace, so the
 * parent-based sampler sees no remote parent and Mesh's own sampling applies. The caller's span
 * context is kept under a private key, for linkUntrustedCaller. Inject is unchanged.
 */
export class EdgePropagator implements TextMapPropagator {
  constructor(private readonly configured: TextMapPropagator) {}

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    this.configured.inject(context, carrier, setter);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const policy = traceEdgePolicy();
    if (!policy) return this.configured.extract(context, carrier, getter);
    const header = (name: string) => {
      const value = getter.get(carrier, name);
      return Array.isArray(value) ? value.join(',') : value;
    };
    return policy.trusts(header)
      ? this.continueTrusted(context, carrier, getter, policy)
      : this.startFromUntrusted(context, carrier, getter);
  }

  fields(): string[] {
    return this.configured.fields();
  }

  private continueTrusted(
    context: Context,
    carrier: unknown,
    getter: TextMapGetter,
    policy: TraceEdgePolicy,
  ): Context {
    const extracted = this.configured.extract(context, carrier, getter);
    const incoming = propagation.getBaggage(extracted);
    if (!incoming || incoming === propagation.getBaggage(context)) return extracted;
    const kept = limitBaggage(incoming, policy.baggage);
    return kept ? propagation.setBaggage(extracted, kept) : propagation.deleteBaggage(extracted);
  }

  private startFromUntrusted(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const remote = trace.getSpanContext(this.configured.extract(ROOT_CONTEXT, carrier, getter));
    return remote && isSpanContextValid(remote)
      ? context.setValue(UNTRUSTED_CALLER, remote)
      : context;
  }
}

/**
 * The http instrumentation's request hook: links the SERVER span of a request from an untrusted
 * caller to that caller's span context, so the client's trace can still be found from Mesh's.
 * (The SDK keeps links added after the start; samplers only see those given at the start.)
 */
export function linkUntrustedCaller(span: Span, request: unknown): void {
  // Outgoing requests made while serving one run in its context too; only the server span links.
  if (!(request instanceof IncomingMessage)) return;
  const caller = contextApi.active().getValue(UNTRUSTED_CALLER) as SpanContext | undefined;
  if (caller) span.addLink({ context: caller });
}
