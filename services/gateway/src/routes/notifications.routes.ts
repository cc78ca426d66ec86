import { NotificationQuery } from '@mesh/contracts';
import type { FastifyInstance } from 'fastify';
import type { NotificationClient } from '../clients/notification.client';

/** What the customer was told about an order, read from the notification service. */
export function registerNotificationRoutes(
  app: FastifyInstance,
  notifications: NotificationClient,
): void {
  app.get<{ Querystring: NotificationQuery }>(
    '/notifications',
    { schema: { querystring: NotificationQuery } },
    async (request) => notifications.listForOrder(request.query.orderId),
  );
}
