import { context, propagation, type Span, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { DocumentLoadInstrumentation } from '@opentelemetry/instrumentation-document-load';
import { FetchInstrumentation } from '@opentelemetry/instrumentation-fetch';
import { UserInteractionInstrumentation } from '@opentelemetry/instrumentation-user-interaction';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, StackContextManager, TracerProvider } from '@opentelemetry/sdk-trace';
import { type Metric, onCLS, onFCP, onINP, onLCP, onTTFB } from 'web-vitals';
import type { StorefrontConfig } from './config';

export const SERVICE_NAME = 'storefront';

/** Escapes a URL for a RegExp that matches it and everything under it. */
const under = (url: string) => new RegExp(`^${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(/|$)`);

/**
 * The OpenTelemetry web SDK: document load, every fetch and every click or form submission are
 * spans, exported over OTLP/HTTP to the collector (which allows this origin by CORS). The
 * gateway is the only cross-origin URL that gets a `traceparent`, so a click, the gateway and
 * the five services behind it are one trace; the collector never sees a header it did not ask
 * for. Web vitals are spans of their own, with the value as attributes.
 */
export function startTelemetry(config: StorefrontConfig): void {
  if (config.otlpTracesUrl === '') return;
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': SERVICE_NAME,
      'deployment.environment.name': config.environment,
    }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: config.otlpTracesUrl }),
        // A page visit is short: send within a second rather than the 5 s default. Spans still
        // queued when the tab is hidden are flushed then (the processor's own default).
        scheduledDelayMillis: 500,
      }),
    ],
  });
  // What provider.register() did in SDK 2.x: the global provider, context manager and propagator.
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new StackContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());

  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new DocumentLoadInstrumentation(),
      new FetchInstrumentation({
        propagateTraceHeaderCorsUrls: [under(config.gatewayUrl)],
        ignoreUrls: [under(config.otlpTracesUrl)],
        clearTimingResources: true,
      }),
      // Without zone.js, a handler's synchronous part runs in the interaction's span: the app
      // starts its API calls there (see ShopApi.request).
      new UserInteractionInstrumentation({ eventNames: ['click', 'submit'] }),
    ],
  });
  recordWebVitals();
}

/**
 * Core Web Vitals (https://web.dev/articles/vitals) as one span each, named after the metric,
 * with `web_vital.*` attributes: Tempo can search and aggregate them (TraceQL
 * `{ span.web_vital.name = "LCP" }`) without a metrics pipeline in the browser.
 */
function recordWebVitals(): void {
  const tracer = trace.getTracer('@mesh/storefront');
  const record = (metric: Metric) => {
    const span: Span = tracer.startSpan(`web-vital ${metric.name}`, {
      attributes: {
        'web_vital.name': metric.name,
        'web_vital.value': metric.value,
        'web_vital.rating': metric.rating,
        'web_vital.id': metric.id,
        'web_vital.navigation_type': metric.navigationType,
        'url.path': location.pathname + location.hash,
      },
    });
    span.end();
  };
  // reportAllChanges off: one value per metric and page view, reported when it is final
  // (for CLS and INP: when the page is hidden).
  onCLS(record);
  onINP(record);
  onLCP(record);
  onFCP(record);
  onTTFB(record);
}
