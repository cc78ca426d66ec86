import { OrderIdParams, Reservation, ReserveStockRequest } from '@mesh/contracts';
import type { FastifyInstance } from 'fastify';
import { commitReservation } from '../domain/commit-reservation';
import type { Inventory } from '../domain/inventory';
import { releaseReservation } from '../domain/release-reservation';
import { getReservation } from '../domain/reservation';
import { reserveStock } from '../domain/reserve-stock';

export function registerReservationRoutes(app: FastifyInstance, inventory: Inventory): void {
  app.post<{ Body: ReserveStockRequest }>(
    '/reservations',
    {
      schema: { body: ReserveStockRequest, response: { 200: Reservation, 201: Reservation } },
    },
    async (request, reply) => {
      const { reservation, created } = await reserveStock(inventory, request.body);
      // 200 for a retry that found the reservation already made.
      reply.code(created ? 201 : 200).header('location', `/reservations/${reservation.orderId}`);
      return reservation;
    },
  );

  app.get<{ Params: OrderIdParams }>(
    '/reservations/:orderId',
    { schema: { params: OrderIdParams, response: { 200: Reservation } } },
    async (request) => getReservation(inventory, request.params.orderId),
  );

  app.post<{ Params: OrderIdParams }>(
    '/reservations/:orderId/release',
    { schema: { params: OrderIdParams, response: { 200: Reservation } } },
    async (request) => releaseReservation(inventory, request.params.orderId),
  );

  app.post<{ Params: OrderIdParams }>(
    '/reservations/:orderId/commit',
    { schema: { params: OrderIdParams, response: { 200: Reservation } } },
    async (request) => commitReservation(inventory, request.params.orderId),
  );
}
