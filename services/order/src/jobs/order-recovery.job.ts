import { type PeriodicJob, startPeriodicJob } from '@mesh/service-kit';
import type { OrderDependencies } from '../domain/dependencies';
import { recoverStaleOrders } from '../domain/recover-orders';

/**
 * Runs a recovery pass every `intervalMs` (counted from the end of the previous pass) until
 * stopped. A pass gets `leaseMs`, what a batch's work may take at most; one that takes longer is
 * stuck on slow dependencies, and stops after the order under way, leaving the rest to the next.
 */
export function startOrderRecovery(
  deps: OrderDependencies,
  settings: { intervalMs: number; afterMs: number; leaseMs: number },
): PeriodicJob {
  return startPeriodicJob({
    name: 'order recovery',
    intervalMs: settings.intervalMs,
    timeoutMs: settings.leaseMs,
    logger: deps.logger,
    run: (signal) =>
      recoverStaleOrders(deps, { afterMs: settings.afterMs, leaseMs: settings.leaseMs, signal }),
  });
}
