import type { Pool, ServiceClient } from '@mesh/service-kit';
import type { Logger } from '@mesh/telemetry';

/** Where the order events go: written to the outbox for `topic`, published by the relay. */
export interface OrderEventsOutbox {
  topic: string;
  /** Tells the relay that an event was committed, so it goes out now rather than at the next poll. */
  wake(): void;
}

/** What the order use cases work with. */
export interface OrderDependencies {
  pool: Pool;
  inventory: ServiceClient;
  payment: ServiceClient;
  outbox: OrderEventsOutbox;
  logger: Logger;
}
