import { AppError, type ServiceClient } from '@mesh/service-kit';

/**
 * Time kept back from a caller's deadline (x-mesh-deadline-ms) for what follows the last call:
 * the status commit, reading the order back, the answer and its way back to the caller.
 */
export const DEFAULT_DEADLINE_MARGIN_MS = 500;

/**
 * Until when a placement may call inventory and payment, so that the order service answers
 * before its caller gives up. Measured on the monotonic clock from the request's arrival.
 */
export class Deadline {
  private constructor(private readonly callsEndAt: number) {}

  /** No caller deadline: every call gets its client's own time limit. */
  static readonly NONE = new Deadline(Number.POSITIVE_INFINITY);

  /** The caller waits `waitMs` from now; calls must end `marginMs` before that. */
  static after(waitMs: number, marginMs: number): Deadline {
    return new Deadline(performance.now() + waitMs - marginMs);
  }

  /** Milliseconds calls may still take. */
  get leftMs(): number {
    return Math.max(0, this.callsEndAt - performance.now());
  }

  /**
   * The time limit of the next call to `client`: its own, cut to the time left. With no time
   * left the call is not made: it fails at once as a time-out would.
   */
  limitFor(client: ServiceClient): number {
    const left = Math.floor(this.leftMs);
    if (left <= 0) {
      throw new AppError('dependency-timeout', {
        detail: `no time left to call ${client.name} before the caller's deadline`,
      });
    }
    return Math.min(client.timeoutMs, left);
  }
}
