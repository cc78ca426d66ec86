import cors from '@fastify/cors';
import { IDEMPOTENCY_KEY_HEADER } from '@mesh/contracts';
import type { FastifyInstance } from 'fastify';
import { IDEMPOTENT_REPLAYED_HEADER } from '../clients/order.client';
import { API_KEY_HEADER } from './api-keys';

/** What the storefront sends: its key, an order's idempotency key, and its trace context. */
const ALLOWED_HEADERS = [
  API_KEY_HEADER,
  IDEMPOTENCY_KEY_HEADER,
  'content-type',
  'traceparent',
  'tracestate',
  'baggage',
];

/** What the storefront reads: the trace of each answer, and where a placed order lives. */
const EXPOSED_HEADERS = ['traceresponse', 'x-trace-id', 'location', IDEMPOTENT_REPLAYED_HEADER];

/**
 * CORS for exactly one browser origin, the storefront's (CORS_ALLOWED_ORIGIN); nothing is
 * registered without it, so by default no cross-origin request is allowed. Preflights are
 * answered before the API key and the rate limit: a browser sends neither on a preflight.
 */
export function registerCors(app: FastifyInstance, allowedOrigin: string): void {
  if (allowedOrigin === '') return;
  // On the root instance (the plugin is not encapsulated), so its hook runs before /api's own.
  app.register(cors, {
    // A string would be echoed to every origin; the function answers only the one configured.
    origin: (origin, callback) => callback(null, origin === allowedOrigin),
    methods: ['GET', 'POST'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    // No cookies: the API key travels in a header.
    credentials: false,
    maxAge: 600,
  });
}
