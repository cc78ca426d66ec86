import type { Notification, OrderEventType } from '@mesh/contracts';
import type { Pool, PoolClient } from '@mesh/service-kit';

export interface NewNotification {
  id: string;
  orderId: string;
  eventId: string;
  eventType: OrderEventType;
  recipient: string;
  subject: string;
  body: string;
}

interface NotificationRow {
  id: string;
  order_id: string;
  event_id: string;
  event_type: OrderEventType;
  channel: 'email';
  recipient: string;
  subject: string;
  sent_at: Date;
}

function toNotification(row: NotificationRow): Notification {
  return {
    id: row.id,
    orderId: row.order_id,
    eventId: row.event_id,
    eventType: row.event_type,
    channel: row.channel,
    recipient: row.recipient,
    subject: row.subject,
    sentAt: row.sent_at.toISOString(),
  };
}

export async function insertNotification(client: PoolClient, n: NewNotification): Promise<void> {
  await client.query(
    `INSERT INTO notifications (id, order_id, event_id, event_type, channel, recipient, subject, body)
     VALUES ($1, $2, $3, $4, 'email', $5, $6, $7)`,
    [n.id, n.orderId, n.eventId, n.eventType, n.recipient, n.subject, n.body],
  );
}

export async function findNotificationsByOrder(
  pool: Pool,
  orderId: string,
): Promise<Notification[]> {
  const { rows } = await pool.query<NotificationRow>(
    `SELECT id, order_id, event_id, event_type, channel, recipient, subject, sent_at
       FROM notifications WHERE order_id = $1 ORDER BY sent_at, id`,
    [orderId],
  );
  return rows.map(toNotification);
}
