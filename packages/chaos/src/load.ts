import { API_KEY } from '@mesh/e2e';

/** SKUs with stock (the suite raises it before the run) and one that is always sold out. */
export const IN_STOCK_SKUS = [
  'MUG-BLUE-350',
  'MUG-WHITE-350',
  'TSHIRT-LOGO-M',
  'TSHIRT-LOGO-L',
  'STICKER-LOGO',
  'NOTEBOOK-A5-DOT',
  'PEN-GEL-BLACK',
  'TOTE-CANVAS',
] as const;
export const SOLD_OUT_SKU = 'TSHIRT-TRACE-L';

export interface LoadSettings {
  gatewayUrl: string;
  /** Names this run's requests: customer ids and keys start with it. */
  scenario: string;
  ratePerSecond: number;
  durationMs: number;
  /** Share of orders sent with an Idempotency-Key (the rest have none), 0..1. */
  keyedShare?: number;
  /** How long a client waits for an answer. */
  clientTimeoutMs?: number;
}

export interface OrderRequestBody {
  customerId: string;
  items: { sku: string; quantity: number }[];
}

/** One order request the load sent and what came back. */
export interface SentOrder {
  customerId: string;
  idempotencyKey: string | undefined;
  body: OrderRequestBody;
  sentAt: number;
  latencyMs: number;
  /** HTTP status, or 0 when no answer came (connection refused, client time-out). */
  status: number;
  retryAfter: string | null;
  /** The order the answer names: a success's `id`, or a failure's `orderId`. */
  orderId: string | undefined;
  /** Set when no HTTP answer came. */
  error: string | undefined;
}

/**
 * Places orders through the gateway at a fixed arrival rate (an open model: a slow answer does
 * not slow the arrivals down, as with real clients) for a bounded time, and records every answer.
 * Each order has its own customer id, so the checker can find the order a client was never told
 * about. The mix is deterministic: the n-th request is always the same.
 */
export async function placeOrders(settings: LoadSettings): Promise<SentOrder[]> {
  const keyedShare = settings.keyedShare ?? 0.75;
  const total = Math.floor((settings.ratePerSecond * settings.durationMs) / 1000);
  const intervalMs = 1000 / settings.ratePerSecond;
  const started = Date.now();
  const inFlight: Promise<SentOrder>[] = [];
  for (let n = 0; n < total; n++) {
    const due = started + n * intervalMs;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const keyed = (n * 7919) % 100 < keyedShare * 100;
    inFlight.push(
      sendOrder(settings, {
        customerId: `${settings.scenario}-${n}`,
        idempotencyKey: keyed ? `${settings.scenario}-key-${n}` : undefined,
        body: orderBody(`${settings.scenario}-${n}`, n),
      }),
    );
  }
  return Promise.all(inFlight);
}

function orderBody(customerId: string, n: number): OrderRequestBody {
  // One in 25 asks for the sold-out shirt: a REJECTED order on purpose.
  if (n % 25 === 24) return { customerId, items: [{ sku: SOLD_OUT_SKU, quantity: 1 }] };
  const first = IN_STOCK_SKUS[n % IN_STOCK_SKUS.length] as string;
  const second = IN_STOCK_SKUS[(n * 3 + 1) % IN_STOCK_SKUS.length] as string;
  const items = [{ sku: first, quantity: 1 + (n % 3) }];
  if (n % 2 === 1 && second !== first) items.push({ sku: second, quantity: 1 });
  return { customerId, items };
}

export async function sendOrder(
  settings: Pick<LoadSettings, 'gatewayUrl' | 'clientTimeoutMs'>,
  order: { customerId: string; idempotencyKey: string | undefined; body: OrderRequestBody },
): Promise<SentOrder> {
  const sentAt = Date.now();
  const headers: Record<string, string> = {
    'x-api-key': API_KEY,
    'content-type': 'application/json',
  };
  if (order.idempotencyKey) headers['idempotency-key'] = order.idempotencyKey;
  try {
    const response = await fetch(`${settings.gatewayUrl}/api/orders`, {
      method: 'POST',
      headers,
      body: JSON.stringify(order.body),
      signal: AbortSignal.timeout(settings.clientTimeoutMs ?? 30_000),
    });
    const text = await response.text();
    // A success names its order as `id`; a failure after the gateway forwarded the request
    // names it as `orderId` (problem+json), so the client can GET it.
    let orderId: string | undefined;
    try {
      const body = JSON.parse(text) as { id?: string; orderId?: string };
      orderId = response.ok ? body.id : body.orderId;
    } catch {
      orderId = undefined;
    }
    return {
      ...order,
      sentAt,
      latencyMs: Date.now() - sentAt,
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      orderId,
      error: undefined,
    };
  } catch (error) {
    return {
      ...order,
      sentAt,
      latencyMs: Date.now() - sentAt,
      status: 0,
      retryAfter: null,
      orderId: undefined,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    };
  }
}
