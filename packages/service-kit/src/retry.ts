import {
  ExponentialBackoff,
  halfJitterGenerator,
  handleWhen,
  type IBackoff,
  type RetryPolicy,
  retry,
} from 'cockatiel';

export type { RetryPolicy } from 'cockatiel';

/**
 * The one retry policy of Mesh, built on cockatiel: exponential backoff from `initialDelayMs`,
 * doubled per failure up to `maxDelayMs`, with half jitter (each pause is between half and all of
 * that), so many clients retrying together spread out instead of hitting a recovering server in
 * lockstep.
 */
export interface BackoffSettings {
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface RetrySettings extends BackoffSettings {
  /** Attempts in all, the first one included. Default: no limit. */
  maxAttempts?: number;
  /** Whether a failure is worth another attempt. Default: every failure is. */
  retryIf?: (error: unknown) => boolean;
}

function exponentialBackoff(settings: BackoffSettings): ExponentialBackoff<unknown> {
  return new ExponentialBackoff({
    generator: halfJitterGenerator,
    initialDelay: settings.initialDelayMs,
    maxDelay: settings.maxDelayMs,
  });
}

/**
 * For a call that is retried where it is made: `retryPolicy(…).execute(() => call())`. The
 * result is cockatiel's RetryPolicy, so `onRetry` (for metrics and span events) and an abort
 * signal work as cockatiel documents.
 */
export function retryPolicy(settings: RetrySettings): RetryPolicy {
  const maxAttempts = settings.maxAttempts ?? Number.POSITIVE_INFINITY;
  return retry(handleWhen(settings.retryIf ?? (() => true)), {
    // cockatiel counts the retries, not the attempts.
    maxAttempts: maxAttempts - 1,
    backoff: exponentialBackoff(settings),
  });
}

/** The pauses of a loop that keeps trying (a relay, a consumer that starts in the background). */
export interface Backoff {
  /** Records a failure and returns how long to pause before the next attempt, in ms. */
  next(): number;
  /** Records a success: the next failure pauses `initialDelayMs` again. */
  reset(): void;
  /** Failures in a row: next() calls since the last reset(). */
  readonly failures: number;
}

/**
 * The same backoff as retryPolicy, for loops that decide themselves when to stop and what to do
 * between attempts (heartbeat, replace a connection, wake early on stop).
 */
export function backoff(settings: BackoffSettings): Backoff {
  const factory = exponentialBackoff(settings);
  let current: IBackoff<unknown> | undefined;
  let failures = 0;
  return {
    next() {
      current = current ? current.next(undefined) : factory.next();
      failures += 1;
      return current.duration;
    },
    reset() {
      current = undefined;
      failures = 0;
    },
    get failures() {
      return failures;
    },
  };
}

/** Waits `ms`, or less when `signal` aborts first; never rejects. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
