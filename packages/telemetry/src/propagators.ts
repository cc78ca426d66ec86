import { diag, type TextMapPropagator } from '@opentelemetry/api';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';

const KNOWN = new Map<string, () => TextMapPropagator>([
  ['tracecontext', () => new W3CTraceContextPropagator()],
  ['baggage', () => new W3CBaggagePropagator()],
  ['b3', () => new B3Propagator()],
  ['b3multi', () => new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER })],
]);

/**
 * The propagator `OTEL_PROPAGATORS` names (default `tracecontext,baggage`), as the NodeSDK would
 * build it; built here so that the edge propagator can wrap it. `none` (or only unknown names)
 * gives null: nothing is propagated.
 * https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/#general-sdk-configuration
 */
export function configuredPropagator(env: NodeJS.ProcessEnv): TextMapPropagator | null {
  const names = [
    ...new Set(
      (env.OTEL_PROPAGATORS ?? 'tracecontext,baggage')
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== ''),
    ),
  ];
  if (names.length === 0) names.push('tracecontext', 'baggage');
  if (names.includes('none')) return null;
  const propagators: TextMapPropagator[] = [];
  for (const name of names) {
    const make = KNOWN.get(name);
    if (make) propagators.push(make());
    else diag.warn(`OTEL_PROPAGATORS names "${name}", which is not available; it is left out.`);
  }
  if (propagators.length === 0) return null;
  return propagators.length === 1
    ? (propagators[0] as TextMapPropagator)
    : new CompositePropagator({ propagators });
}
