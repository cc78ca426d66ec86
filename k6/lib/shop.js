// The traffic every scenario sends: shoppers who mostly browse and sometimes buy. Scenarios
// differ only in how many shoppers arrive and when; what one shopper does is defined here once.
//
// One iteration is one visit:
//   1. a page of the catalogue                       GET  /api/products?limit=12&offset=...
//   2. one to three products from that page          GET  /api/products/:sku
//   3. sometimes (CHECKOUT_RATIO) an order of 1-3 lines, then, after NOTIFICATION_WAIT, the order
//      read back and the e-mail it caused            POST /api/orders, GET /api/orders/:id,
//                                                    GET  /api/notifications?orderId=
// Orders take plentiful products; some are placed by `customer-declined` (always declined:
// PAYMENT_FAILED), a few include a sold-out product (REJECTED), and a few are sent twice with the
// same Idempotency-Key, as a client retrying would.
import { sleep } from 'k6';
import exec from 'k6/execution';
import { Counter, Rate } from 'k6/metrics';
import {
  forgetTraceId,
  followOrder,
  getOrder,
  getProduct,
  listNotifications,
  listProducts,
  placeOrder,
  ROUTES,
  readiness,
  SYSTEM_TAGS,
  verify,
} from './api.js';
import { API_KEY, BASE_URL, envNumber, envRatio, envString } from './config.js';

/** Orders placed, tagged with the state they ended in (order_status). */
const orders = new Counter('mesh_orders');
/** Orders whose notification was already there when read back after NOTIFICATION_WAIT. */
const ordersNotified = new Rate('mesh_order_notified');

/** The customer the payment service always declines (README.md "Public API"). */
const DECLINED_CUSTOMER = 'customer-declined';
const TERMINAL_STATES = ['CONFIRMED', 'REJECTED', 'PAYMENT_FAILED'];
const PAGE_SIZE = 12;
/** Products with less stock than this are only looked at: orders would sell them out at once. */
const PLENTIFUL_STOCK = 10;

/**
 * The shopper's habits, each overridable by an environment variable. `defaults` are the
 * scenario's own (smoke buys more often, to cover every path in a short run).
 */
export function shopperMix(defaults = {}) {
  const d = {
    checkoutRatio: 0.1,
    declineRatio: 0.1,
    soldOutRatio: 0.02,
    replayRatio: 0.05,
    thinkTime: 0,
    notificationWait: 1,
    ...defaults,
  };
  return {
    /** Share of visits that end in an order. */
    checkoutRatio: envRatio('CHECKOUT_RATIO', d.checkoutRatio),
    /** Share of orders placed by the always-declined customer. */
    declineRatio: envRatio('DECLINE_RATIO', d.declineRatio),
    /** Share of orders with a sold-out product in them. */
    soldOutRatio: envRatio('SOLD_OUT_RATIO', d.soldOutRatio),
    /** Share of orders posted a second time with the same Idempotency-Key. */
    replayRatio: envRatio('REPLAY_RATIO', d.replayRatio),
    /**
     * Seconds a shopper looks at a page before the next (randomised ±50 %). Arrival-rate
     * scenarios leave it at 0: the arrival rate already paces them, and every second of pause
     * is a VU held in memory.
     */
    thinkTime: envNumber('THINK_TIME', d.thinkTime, { min: 0, max: 60 }),
    /** Seconds between placing an order and reading it and its notification back. */
    notificationWait: envNumber('NOTIFICATION_WAIT', d.notificationWait, { min: 0, max: 60 }),
  };
}

/** Requests one visit sends on average, for the rate-limit estimate. */
function requestsPerVisit(mix) {
  return 1 + 2 + mix.checkoutRatio * (3 + mix.replayRatio);
}

/**
 * Options every scenario shares: no `url` tag (see SYSTEM_TAGS), the percentiles the end-of-test
 * summary shows, and a `testid` tag on every sample when TEST_ID is set, to tell runs apart in
 * Prometheus.
 */
export function commonOptions() {
  const testId = envString('TEST_ID', '');
  return {
    systemTags: SYSTEM_TAGS,
    summaryTrendStats: ['avg', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
    ...(testId === '' ? {} : { tags: { testid: testId } }),
  };
}

/** The p95 latency objectives of the average load, per route, in ms. */
export const P95_MS = Object.freeze({
  [ROUTES.listProducts]: 300,
  [ROUTES.getProduct]: 200,
  [ROUTES.placeOrder]: 1000,
  [ROUTES.getOrder]: 300,
  [ROUTES.listNotifications]: 300,
});

/**
 * Pass/fail criteria: p95 latency per route (P95_MS times `latencyFactor`), the share of failed
 * requests (http_req_failed: anything but 2xx/3xx, 429s included) and the share of checks that
 * passed. With `abortOnFail`, the first one crossed stops the test (after `delayAbortEval`, so a
 * handful of early samples cannot end it).
 */
export function thresholds({
  latencyFactor = 1,
  failedRate = 0.01,
  checksRate = 0.99,
  abortOnFail = false,
  delayAbortEval = '30s',
} = {}) {
  const rule = (threshold) =>
    abortOnFail ? [{ threshold, abortOnFail, delayAbortEval }] : [threshold];
  const result = {
    http_req_failed: rule(`rate<${failedRate}`),
    checks: rule(`rate>${checksRate}`),
  };
  for (const [route, ms] of Object.entries(P95_MS)) {
    result[`http_req_duration{name:${route}}`] = rule(`p(95)<${Math.round(ms * latencyFactor)}`);
  }
  return result;
}

/**
 * Runs once before the test: checks Mesh is ready and the key works (stopping the test with a
 * clear message otherwise), warns when the gateway's rate limit is below the scenario's peak,
 * and reads the catalogue the shoppers then browse and buy from.
 */
export function setupShop({ peakVisitsPerSecond, mix }) {
  const ready = readiness();
  if (ready.status !== 200) {
    exec.test.abort(
      `Mesh is not ready at ${BASE_URL}/readyz (${ready.status || ready.error}): start it first (k6/README.md)`,
    );
  }

  const skus = [];
  const plentiful = [];
  const soldOut = [];
  for (let offset = 0; ; offset += 100) {
    const page = listProducts({ limit: 100, offset });
    if (page.res.status === 401) exec.test.abort(`the gateway refused API_KEY=${API_KEY} (401)`);
    if (page.res.status !== 200)
      exec.test.abort(`could not read the catalogue: ${page.res.status}`);
    if (offset === 0) warnAboutRateLimit(page.res, peakVisitsPerSecond * requestsPerVisit(mix));
    for (const product of page.body.items) {
      skus.push(product.sku);
      if (product.stock >= PLENTIFUL_STOCK) plentiful.push(product.sku);
      if (product.stock === 0) soldOut.push(product.sku);
    }
    if (offset + 100 >= page.body.total) break;
  }
  forgetTraceId();
  if (skus.length === 0) exec.test.abort('the catalogue is empty: were the migrations applied?');
  if (plentiful.length === 0) {
    console.warn('every product is (nearly) sold out: most orders will be REJECTED');
  }
  return { skus, plentiful: plentiful.length > 0 ? plentiful : skus, soldOut };
}

/**
 * The gateway limits requests per API key (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS, 600 a minute
 * by default) and says so in x-ratelimit-limit. Above it, requests get 429 and the run measures
 * the limiter instead of Mesh; say so up front rather than leave it to the error rate.
 */
function warnAboutRateLimit(res, peakRequestsPerSecond) {
  const limit = Number(res.headers['X-Ratelimit-Limit']);
  if (!Number.isFinite(limit) || limit <= 0) return;
  const perMinute = Math.round(peakRequestsPerSecond * 60);
  if (perMinute <= limit) return;
  console.warn(
    `the gateway allows ${limit} requests per rate-limit window (a minute unless ` +
      `RATE_LIMIT_WINDOW_MS says otherwise) per API key; this scenario peaks around ` +
      `${perMinute} a minute, so expect 429s. Start the gateway with a higher RATE_LIMIT_MAX ` +
      'for load tests (k6/README.md).',
  );
}

function randomInt(min, max) {
  return min + Math.floor(Math.random() * (max - min + 1));
}

function pick(list) {
  return list[Math.floor(Math.random() * list.length)];
}

/** `count` different elements of `list` (fewer if it is shorter). */
function pickDistinct(list, count) {
  const pool = list.slice();
  const picked = [];
  while (picked.length < count && pool.length > 0) {
    picked.push(pool.splice(Math.floor(Math.random() * pool.length), 1)[0]);
  }
  return picked;
}

function pause(seconds) {
  if (seconds > 0) sleep(seconds * (0.5 + Math.random()));
}

/** One shopper's visit: the default function of every scenario. */
export function visitShop(catalogue, mix) {
  const pages = Math.ceil(catalogue.skus.length / PAGE_SIZE);
  const page = listProducts({ limit: PAGE_SIZE, offset: PAGE_SIZE * randomInt(0, pages - 1) });
  const onPage =
    page.body && Array.isArray(page.body.items) ? page.body.items.map((p) => p.sku) : [];
  pause(mix.thinkTime);

  const views = randomInt(1, 3);
  for (let i = 0; i < views; i += 1) {
    getProduct(pick(onPage.length > 0 ? onPage : catalogue.skus));
    pause(mix.thinkTime);
  }

  if (Math.random() < mix.checkoutRatio) checkout(catalogue, mix);
  forgetTraceId();
}

function checkout(catalogue, mix) {
  const items = pickDistinct(catalogue.plentiful, randomInt(1, 3)).map((sku) => ({
    sku,
    quantity: Math.random() < 0.8 ? 1 : 2,
  }));
  const soldOut = catalogue.soldOut.length > 0 && Math.random() < mix.soldOutRatio;
  if (soldOut) items[0] = { sku: pick(catalogue.soldOut), quantity: 1 };
  const declined = Math.random() < mix.declineRatio;
  const request = {
    customerId: declined ? DECLINED_CUSTOMER : `k6-shopper-${exec.vu.idInTest}`,
    items,
  };
  // Stock is reserved before the charge, so an order with a sold-out line never reaches payment.
  const expected = soldOut ? 'REJECTED' : declined ? 'PAYMENT_FAILED' : undefined;
  const idempotencyKey = crypto.randomUUID();

  const placed = placeOrder(request, idempotencyKey);
  // The outcome is only checked for an order that was taken: a refused request is one failure.
  const taken = verify(placed, {
    // 202: taken, with its outcome still being decided (the answer's Location follows it).
    'order placed': ({ res, body }) =>
      (res.status === 201 || res.status === 202) && body !== undefined && typeof body.id === 'string',
  });
  if (!taken) return;
  if (placed.res.status === 202) placed.body = followOrder(placed.body, TERMINAL_STATES);
  verify(placed, {
    'order reached a terminal state': ({ body }) => TERMINAL_STATES.includes(body.status),
    ...(expected === undefined
      ? {}
      : {
          [`${soldOut ? 'sold-out' : 'declined'} order ended ${expected}`]: ({ body }) =>
            body.status === expected,
        }),
  });
  const order = placed.body;
  orders.add(1, { order_status: order.status });

  if (Math.random() < mix.replayRatio) {
    const again = placeOrder(request, idempotencyKey);
    verify(again, {
      'repeated order answered with the first': ({ res, body }) =>
        res.status === 200 &&
        res.headers['Idempotent-Replayed'] === 'true' &&
        body !== undefined &&
        body.id === order.id,
    });
  }

  // The customer checks their e-mail: the notification travels outbox → Kafka → notification.
  if (mix.notificationWait > 0) sleep(mix.notificationWait);
  getOrder(order);
  const notifications = listNotifications(order.id);
  if (
    notifications.res.status === 200 &&
    notifications.body &&
    Array.isArray(notifications.body.items)
  ) {
    ordersNotified.add(notifications.body.items.length > 0);
  }
}
