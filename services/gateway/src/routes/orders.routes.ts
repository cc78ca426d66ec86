import {
  IDEMPOTENCY_KEY_HEADER,
  IdempotencyKey,
  type Order,
  OrderParams,
  PlaceOrderRequest,
} from '@mesh/contracts';
import { trace } from '@opentelemetry/api';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { IDEMPOTENT_REPLAYED_HEADER, type OrderClient } from '../clients/order.client';

const PlaceOrderHeaders = Type.Object({ [IDEMPOTENCY_KEY_HEADER]: Type.Optional(IdempotencyKey) });
type PlaceOrderHeaders = Static<typeof PlaceOrderHeaders>;

/** Makes the request's trace findable in Tempo by order id and outcome. */
function tagSpan(order: Order): void {
  trace
    .getActiveSpan()
    ?.setAttributes({ 'mesh.order.id': order.id, 'mesh.order.status': order.status });
}

/** The order API, unchanged from the order service's (SPEC "Public API"). */
export function registerOrderRoutes(app: FastifyInstance, orders: OrderClient): void {
  app.post<{ Body: PlaceOrderRequest; Headers: PlaceOrderHeaders }>(
    '/orders',
    { schema: { body: PlaceOrderRequest, headers: PlaceOrderHeaders } },
    async (request, reply) => {
      const placed = await orders.placeOrder(request.body, request.headers[IDEMPOTENCY_KEY_HEADER]);
      tagSpan(placed.order);
      request.log.info(
        {
          orderId: placed.order.id,
          status: placed.order.status,
          replayed: placed.replayed === 'true',
        },
        'order placed',
      );
      if (placed.replayed !== undefined) reply.header(IDEMPOTENT_REPLAYED_HEADER, placed.replayed);
      return reply.code(placed.status).send(placed.order);
    },
  );

  app.get<{ Params: OrderParams }>(
    '/orders/:id',
    { schema: { params: OrderParams } },
    async (request) => {
      const order = await orders.getOrder(request.params.id);
      tagSpan(order);
      return order;
    },
  );
}
