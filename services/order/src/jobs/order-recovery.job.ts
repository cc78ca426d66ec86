import type { OrderDependencies } from '../domain/dependencies';
import { recoverStaleOrders } from '../domain/recover-orders';

export interface OrderRecoveryJob {
  /** Stops scheduling passes and waits for the one under way. */
  stop(): Promise<void>;
}

/** Runs a recovery pass every `intervalMs` (counted from the end of the previous pass). */
export function startOrderRecovery(
  deps: OrderDependencies,
  settings: { intervalMs: number; afterMs: number; leaseMs: number },
): OrderRecoveryJob {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let pass: Promise<void> = Promise.resolve();

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      pass = recoverStaleOrders(deps, { afterMs: settings.afterMs, leaseMs: settings.leaseMs })
        .then(
          () => undefined,
          (error: unknown) => deps.logger.error({ err: error }, 'order recovery pass failed'),
        )
        .finally(schedule);
    }, settings.intervalMs);
  };
  schedule();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await pass;
    },
  };
}
