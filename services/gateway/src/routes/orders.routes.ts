import { randomUUID } from 'node:crypto';
import {
  IDEMPOTENCY_KEY_HEADER,
  IdempotencyKey,
  type Order,
  OrderParams,
  PlaceOrderRequest,
} from '@mesh/contracts';
import { AppError } from '@mesh/service-kit';
import { trace } from '@opentelemetry/api';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  IDEMPOTENT_REPLAYED_HEADER,
  neverReached,
  type OrderClient,
} from '../clients/order.client';

const PlaceOrderHeaders = Type.Object({ [IDEMPOTENCY_KEY_HEADER]: Type.Optional(IdempotencyKey) });
type PlaceOrderHeaders = Static<typeof PlaceOrderHeaders>;

/** Makes the request's trace findable in Tempo by order id and outcome. */
function tagSpan(order: Order): void {
  trace
    .getActiveSpan()
    ?.setAttributes({ 'mesh.order.id': order.id, 'mesh.order.status': order.status });
}

/**
 * The order API, the order service's (SPEC "Public API"), with one addition: the gateway mints
 * the id of every order it forwards, so that any failure after forwarding can name the order
 * (`orderId` and `Location`) and the client can GET it instead of guessing whether it exists.
 */
export function registerOrderRoutes(app: FastifyInstance, orders: OrderClient): void {
  app.post<{ Body: PlaceOrderRequest; Headers: PlaceOrderHeaders }>(
    '/orders',
    { schema: { body: PlaceOrderRequest, headers: PlaceOrderHeaders } },
    async (request, reply) => {
      const orderId = randomUUID();
      trace.getActiveSpan()?.setAttribute('mesh.order.id', orderId);
      const locationOf = (id: string) => `${request.routeOptions.url}/${id}`;
      let placed: Awaited<ReturnType<OrderClient['placeOrder']>>;
      try {
        placed = await orders.placeOrder(request.body, {
          orderId,
          idempotencyKey: request.headers[IDEMPOTENCY_KEY_HEADER],
        });
      } catch (error) {
        throw findable(error, orderId, locationOf(orderId));
      }
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
      // A replay answers the earlier order, with its own id.
      reply.header('location', locationOf(placed.order.id));
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

/**
 * A failure after the order request may have reached the order service (a time-out, a broken
 * connection, a 5xx): the order may exist and may even still complete, so the answer names it.
 * A refusal (4xx) is the order service's answer and passes unchanged, and so does a connection
 * that was refused, which no order can have come from.
 */
function findable(error: unknown, orderId: string, location: string): unknown {
  if (!(error instanceof AppError) || !error.isServerError || neverReached(error)) return error;
  const said = error.detail ? `${error.detail}. ` : '';
  return new AppError(error.code, {
    status: error.status,
    detail: `${said}The order may still complete: GET ${location} to learn its outcome (404: it was never placed).`,
    cause: error,
    headers: { ...error.headers, location },
    members: { orderId },
  });
}
