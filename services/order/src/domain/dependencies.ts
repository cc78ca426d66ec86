import type { Faults, Pool, ServiceClient } from '@mesh/service-kit';
import type { Logger } from '@mesh/telemetry';
import type { OrderMetrics } from '../metrics';

/** The relay that publishes the outbox's order events (to the topic in its own settings). */
export interface OrderEventsOutbox {
  /** Tells the relay that an event was committed, so it goes out now rather than at the next poll. */
  wake(): void;
}

/** What the order use cases work with. */
export interface OrderDependencies {
  pool: Pool;
  inventory: ServiceClient;
  payment: ServiceClient;
  outbox: OrderEventsOutbox;
  metrics: OrderMetrics;
  logger: Logger;
  /** The workshop fault flags, read where each fault acts. */
  faults: Faults;
}
