import { NotificationList, NotificationQuery } from '@mesh/contracts';
import type { Pool } from '@mesh/service-kit';
import type { FastifyInstance } from 'fastify';
import { findNotificationsByOrder } from '../data/notification.repository';

export function notificationRoutes(app: FastifyInstance, pool: Pool): void {
  app.get(
    '/notifications',
    { schema: { querystring: NotificationQuery, response: { 200: NotificationList } } },
    async (request) => {
      const { orderId } = request.query as NotificationQuery;
      return { items: await findNotificationsByOrder(pool, orderId) };
    },
  );
}
