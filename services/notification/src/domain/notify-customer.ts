import { randomUUID } from 'node:crypto';
import type { OrderEvent } from '@mesh/contracts';
import { claimEvent, type Pool, withTransaction } from '@mesh/service-kit';
import type { Logger } from '@mesh/telemetry';
import { trace } from '@opentelemetry/api';
import { insertNotification } from '../data/notification.repository';
import type { NotificationMetrics } from '../metrics';
import type { EmailProvider } from './email-provider';

export interface NotifyDeps {
  pool: Pool;
  email: EmailProvider;
  logger: Logger;
  metrics: NotificationMetrics;
}

function compose(event: OrderEvent): { subject: string; body: string } {
  const total = `${(event.totalCents / 100).toFixed(2)} ${event.currency}`;
  if (event.type === 'order.confirmed') {
    return {
      subject: `Your order ${event.orderId} is confirmed`,
      body: `Thank you! ${event.items.length} item(s), ${total}, are on their way.`,
    };
  }
  return {
    subject: `Your order ${event.orderId} could not be completed`,
    body: `We are sorry: your order was cancelled (${event.reason ?? event.status}). You were not charged.`,
  };
}

/**
 * Tells the customer about one order event, exactly once: the event id is claimed, the
 * notification stored and the e-mail sent in one transaction. A redelivered event finds its
 * claim and does nothing; if the send fails, the transaction rolls back and the event is
 * retried (the provider's idempotency key covers a send that succeeded just before a crash).
 * Returns false for a duplicate.
 */
export async function notifyCustomer(deps: NotifyDeps, event: OrderEvent): Promise<boolean> {
  // The consumer's `process order-events` span of this message is active here; the e-mail call
  // and the queries become its children, so the trace reads send → process → e-mail.
  const span = trace.getActiveSpan();
  span?.setAttributes({
    'mesh.order.id': event.orderId,
    'mesh.event.id': event.id,
    'mesh.event.type': event.type,
  });
  const sent = await withTransaction(deps.pool, async (client) => {
    if (!(await claimEvent(client, event.id))) return false;
    const { subject, body } = compose(event);
    const recipient = `${event.customerId}@customers.mesh.example`;
    await insertNotification(client, {
      id: randomUUID(),
      orderId: event.orderId,
      eventId: event.id,
      eventType: event.type,
      recipient,
      subject,
      body,
    });
    await deps.email.send({ to: recipient, subject, body, idempotencyKey: event.id });
    return true;
  });
  span?.setAttribute('mesh.notification.duplicate', !sent);
  if (sent) {
    deps.metrics.countSent(event.type);
    deps.logger.info({ orderId: event.orderId, eventType: event.type }, 'customer notified');
  } else {
    span?.addEvent('duplicate event skipped');
    deps.logger.info({ orderId: event.orderId, eventId: event.id }, 'duplicate event skipped');
  }
  return sent;
}
