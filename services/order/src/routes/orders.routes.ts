import {
  IDEMPOTENCY_KEY_HEADER,
  IdempotencyKey,
  OrderParams,
  PlaceOrderRequest,
} from '@mesh/contracts';
import { compileValidator, invalidRequest } from '@mesh/service-kit';
import { validateRequest } from '@mesh/service-kit/express';
import { type Request, Router } from 'express';
import type { OrderDependencies } from '../domain/dependencies';
import { getOrder } from '../domain/get-order';
import { placeOrder } from '../domain/place-order';

const isIdempotencyKey = compileValidator(IdempotencyKey, 'headers');

export function ordersRoutes(deps: OrderDependencies): Router {
  const router = Router();

  router.post('/orders', validateRequest({ body: PlaceOrderRequest }), async (req, res) => {
    const request = req.body as PlaceOrderRequest;
    const idempotencyKey = idempotencyKeyOf(req);
    rejectRepeatedSkus(request);
    const { order, replayed } = await placeOrder(deps, request, idempotencyKey);
    if (replayed) res.status(200).set('idempotent-replayed', 'true');
    else res.status(201);
    res.json(order);
  });

  router.get('/orders/:id', validateRequest({ params: OrderParams }), async (req, res) => {
    res.json(await getOrder(deps, req.params.id as string));
  });

  return router;
}

function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.headers[IDEMPOTENCY_KEY_HEADER];
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || !isIdempotencyKey(key)) {
    throw invalidRequest([
      {
        pointer: `headers:/${IDEMPOTENCY_KEY_HEADER}`,
        message: 'must be 1 to 128 visible ASCII characters',
      },
    ]);
  }
  return key;
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
