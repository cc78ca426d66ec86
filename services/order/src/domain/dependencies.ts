import type { Pool, ServiceClient } from '@mesh/service-kit';
import type { Logger } from '@mesh/telemetry';

/** What the order use cases work with. */
export interface OrderDependencies {
  pool: Pool;
  inventory: ServiceClient;
  payment: ServiceClient;
  logger: Logger;
}
