// Mesh's public API (README.md "Public API") as k6 calls it: every request carries the API key
// and a traceparent of its own, is tagged with its route, and is checked by name. A failed check
// or a slow request is logged with the request's trace id, to paste into Grafana (Explore →
// Tempo) or to grep for in the services' logs (`trace_id`).
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { API_KEY, BASE_URL, LOG_LIMIT, SLOW_REQUEST_MS } from './config.js';
import { newTraceContext } from './trace-context.js';

/**
 * Request names: method and route as the gateway declares them (its spans' `http.route`), so
 * k6's latencies and the gateway's line up. They are the `name` tag the latency thresholds
 * select on. URLs are not tagged at all (see SYSTEM_TAGS), or every order id would become a
 * Prometheus series.
 */
export const ROUTES = Object.freeze({
  listProducts: 'GET /api/products',
  getProduct: 'GET /api/products/:sku',
  placeOrder: 'POST /api/orders',
  getOrder: 'GET /api/orders/:id',
  listNotifications: 'GET /api/notifications',
});

/**
 * k6's default system tags less `url`, which holds order ids and SKUs: unbounded label values
 * for Prometheus. `name` (the route) says which request it was. Every scenario sets this.
 */
export const SYSTEM_TAGS = [
  'proto',
  'subproto',
  'status',
  'method',
  'name',
  'group',
  'check',
  'error',
  'error_code',
  'tls_version',
  'scenario',
  'service',
  'expected_response',
];

let linesLogged = 0;

/** console.warn, at most LOG_LIMIT lines per VU. */
function report(line) {
  linesLogged += 1;
  if (linesLogged <= LOG_LIMIT) console.warn(line);
  if (linesLogged === LOG_LIMIT) {
    console.warn(
      `VU ${exec.vu.idInTest}: LOG_LIMIT (${LOG_LIMIT}) reached, further lines are not shown`,
    );
  }
}

/** The body as JSON, or undefined when it is not JSON (a proxy's error page, an empty body). */
function json(res) {
  try {
    return res.json();
  } catch {
    return undefined;
  }
}

/** Status and problem code of a response (`409 out-of-stock`), or why there was none. */
function outcome(res) {
  if (res.status === 0) return `no response (${res.error})`;
  const problem = json(res);
  return problem?.code ? `${res.status} ${problem.code}` : `${res.status}`;
}

/**
 * Sends one request in a trace of its own. The trace id is also set as k6 metadata until the next
 * request, so with `--out json` or `--out csv` the request's samples and its checks carry it; it
 * is metadata and not a tag so that it never becomes a Prometheus label.
 */
function send(route, method, path, { body, headers = {} } = {}) {
  const { traceId, traceparent } = newTraceContext();
  exec.vu.metrics.metadata.trace_id = traceId;
  const res = http.request(
    method,
    `${BASE_URL}${path}`,
    body === undefined ? null : JSON.stringify(body),
    {
      headers: {
        'x-api-key': API_KEY,
        traceparent,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      tags: { name: route },
    },
  );
  const call = { route, res, traceId, body: json(res) };
  if (SLOW_REQUEST_MS > 0 && res.timings.duration > SLOW_REQUEST_MS) {
    report(
      `slow request: ${route} took ${Math.round(res.timings.duration)} ms (${outcome(res)}), trace_id=${traceId}`,
    );
  }
  // The gateway answers with the trace id it worked in (x-trace-id). Any other id than ours
  // means the propagation broke at the gateway, and this request's trace cannot be found.
  if (res.status !== 0) {
    verify(call, { 'gateway continued the trace': () => res.headers['X-Trace-Id'] === traceId });
  }
  return call;
}

/** Ends the last request's trace_id metadata, so the iteration's own samples do not carry it. */
export function forgetTraceId() {
  delete exec.vu.metrics.metadata.trace_id;
}

/**
 * Runs named checks on a call and logs the failed ones, in one line with the call's trace id.
 * Returns true when every check passed.
 */
export function verify(call, checks) {
  // Cut short by the end of the test (a duration reached, a threshold's abortOnFail): not
  // Mesh's doing, so neither checked nor logged.
  if (call.res.status === 0 && /context canceled/.test(call.res.error)) return false;
  const failed = [];
  for (const [name, predicate] of Object.entries(checks)) {
    if (!check(call, { [name]: predicate })) failed.push(`"${name}"`);
  }
  if (failed.length > 0) {
    report(
      `check failed: ${failed.join(', ')} on ${call.route}: ${outcome(call.res)}, trace_id=${call.traceId}`,
    );
  }
  return failed.length === 0;
}

/** GET /api/products: one page of the catalogue. */
export function listProducts({ limit, offset }) {
  const call = send(ROUTES.listProducts, 'GET', `/api/products?limit=${limit}&offset=${offset}`);
  verify(call, {
    'products listed': ({ res, body }) =>
      res.status === 200 &&
      Array.isArray(body?.items) &&
      (body.items.length > 0 || offset >= body.total),
  });
  return call;
}

/** GET /api/products/:sku: one product and its stock. */
export function getProduct(sku) {
  const call = send(ROUTES.getProduct, 'GET', `/api/products/${encodeURIComponent(sku)}`);
  verify(call, {
    'product shown': ({ res, body }) =>
      res.status === 200 && body !== undefined && body.sku === sku,
  });
  return call;
}

/**
 * POST /api/orders. Checked by the caller, who knows which outcome to expect; the order is
 * synchronous, so a 201 already holds its final state.
 */
export function placeOrder(order, idempotencyKey) {
  return send(ROUTES.placeOrder, 'POST', '/api/orders', {
    body: order,
    headers: { 'idempotency-key': idempotencyKey },
  });
}

/** GET /api/orders/:id, checked against the order as it was placed. */
export function getOrder(placed) {
  const call = send(ROUTES.getOrder, 'GET', `/api/orders/${placed.id}`);
  verify(call, {
    'order read back': ({ res, body }) =>
      res.status === 200 &&
      body !== undefined &&
      body.id === placed.id &&
      body.status === placed.status &&
      Array.isArray(body.history) &&
      body.history.length > 0,
  });
  return call;
}

/**
 * An order answered 202 (its outcome was not decided within the request's deadline, e.g. a slow
 * payment): read it back until it reaches a terminal state, a few seconds at most. Returns the
 * last body read.
 */
export function followOrder(placed, terminalStates, attempts = 20) {
  let body = placed;
  for (let i = 0; i < attempts && !terminalStates.includes(body.status); i++) {
    sleep(0.5);
    const call = send(ROUTES.getOrder, 'GET', `/api/orders/${placed.id}`);
    if (call.res.status === 200 && call.body) body = call.body;
  }
  return body;
}

/** GET /api/notifications?orderId=: what the customer was told (may still be on its way). */
export function listNotifications(orderId) {
  const call = send(
    ROUTES.listNotifications,
    'GET',
    `/api/notifications?orderId=${encodeURIComponent(orderId)}`,
  );
  verify(call, {
    'notifications listed': ({ res, body }) => res.status === 200 && Array.isArray(body?.items),
  });
  return call;
}

/** GET /readyz, without key or trace: used once, before the test starts. */
export function readiness() {
  return http.get(`${BASE_URL}/readyz`, { tags: { name: 'GET /readyz' } });
}
