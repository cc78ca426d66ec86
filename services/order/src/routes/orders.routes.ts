import {
  DEADLINE_HEADER,
  DeadlineMs,
  IDEMPOTENCY_KEY_HEADER,
  IdempotencyKey,
  ORDER_ID_HEADER,
  OrderId,
  OrderParams,
  PlaceOrderRequest,
  TERMINAL_ORDER_STATUSES,
} from '@mesh/contracts';
import { compileValidator, invalidRequest } from '@mesh/service-kit';
import { validateRequest } from '@mesh/service-kit/express';
import { type Request, Router } from 'express';
import { Deadline } from '../domain/deadline';
import type { OrderDependencies } from '../domain/dependencies';
import { getOrder } from '../domain/get-order';
import { placeOrder } from '../domain/place-order';

const HEADERS = {
  [IDEMPOTENCY_KEY_HEADER]: {
    isValid: compileValidator(IdempotencyKey, 'headers'),
    expected: 'must be 1 to 128 visible ASCII characters',
  },
  [ORDER_ID_HEADER]: {
    isValid: compileValidator(OrderId, 'headers'),
    expected: 'must be a UUID',
  },
  [DEADLINE_HEADER]: {
    isValid: compileValidator(DeadlineMs, 'headers'),
    expected: 'must be a whole number of milliseconds, at least 1',
  },
};

export interface OrdersRoutesSettings {
  /** Kept back from a caller's deadline for the commits and the answer (Deadline.after). */
  deadlineMarginMs: number;
}

export function ordersRoutes(deps: OrderDependencies, settings: OrdersRoutesSettings): Router {
  const router = Router();

  router.post('/orders', validateRequest({ body: PlaceOrderRequest }), async (req, res) => {
    // Counted from the request's arrival: the caller sent the time it still waits.
    const waitMs = headerOf(req, DEADLINE_HEADER);
    const deadline =
      waitMs === undefined ? undefined : Deadline.after(Number(waitMs), settings.deadlineMarginMs);
    const request = req.body as PlaceOrderRequest;
    const idempotencyKey = headerOf(req, IDEMPOTENCY_KEY_HEADER);
    const orderId = headerOf(req, ORDER_ID_HEADER);
    rejectRepeatedSkus(request);
    const { order, replayed } = await placeOrder(deps, request, {
      idempotencyKey,
      orderId,
      deadline,
    });
    const decided = TERMINAL_ORDER_STATUSES.includes(order.status);
    // 202: the order exists, its outcome is not decided yet; GET on Location follows it.
    res.status(!decided ? 202 : replayed ? 200 : 201).location(`/orders/${order.id}`);
    if (replayed) res.set('idempotent-replayed', 'true');
    res.json(order);
  });

  router.get('/orders/:id', validateRequest({ params: OrderParams }), async (req, res) => {
    res.json(await getOrder(deps, req.params.id as string));
  });

  return router;
}

/** An optional header of ours, checked against its contract. */
function headerOf(req: Request, name: keyof typeof HEADERS): string | undefined {
  const value = req.headers[name];
  if (value === undefined) return undefined;
  const { isValid, expected } = HEADERS[name];
  if (typeof value !== 'string' || !isValid(value)) {
    throw invalidRequest([{ pointer: `headers:/${name}`, message: expected }]);
  }
  return value;
}

/** One line per SKU: a repeated SKU would be priced and stored twice. */
function rejectRepeatedSkus(request: PlaceOrderRequest): void {
  const seen = new Set<string>();
  const repeated = request.items.flatMap((item, index) => {
    if (!seen.has(item.sku)) {
      seen.add(item.sku);
      return [];
    }
    return [{ pointer: `/items/${index}/sku`, message: 'repeats the SKU of an earlier line' }];
  });
  if (repeated.length > 0) throw invalidRequest(repeated);
}
