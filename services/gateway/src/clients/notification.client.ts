import type { NotificationList } from '@mesh/contracts';
import type { Upstream } from './upstream';

/** The notification service's query API (packages/contracts/src/events.ts). */
export class NotificationClient {
  constructor(private readonly upstream: Upstream) {}

  async listForOrder(orderId: string): Promise<NotificationList> {
    const search = new URLSearchParams({ orderId });
    return (await this.upstream.get<NotificationList>(`/notifications?${search}`)).body;
  }
}
