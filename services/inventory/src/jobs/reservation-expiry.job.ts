import { type PeriodicJob, startPeriodicJob } from '@mesh/service-kit';
import { releaseExpiredReservations, SWEEP_BATCH_SIZE } from '../domain/expire-reservations';
import type { Inventory } from '../domain/inventory';

/** One batch takes milliseconds; this only stops a sweep stuck on locks from running forever. */
const SWEEP_TIMEOUT_MS = 10_000;

/**
 * Releases expired reservations every `intervalMs` until stopped. A full batch means more may be
 * waiting, so the next one goes at once rather than a whole interval later.
 */
export function startReservationExpiry(
  inventory: Inventory,
  settings: { intervalMs: number },
): PeriodicJob {
  return startPeriodicJob({
    name: 'reservation expiry',
    intervalMs: settings.intervalMs,
    timeoutMs: SWEEP_TIMEOUT_MS,
    logger: inventory.logger,
    run: async () =>
      (await releaseExpiredReservations(inventory)) === SWEEP_BATCH_SIZE ? 'more' : undefined,
  });
}
