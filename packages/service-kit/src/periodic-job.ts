import type { Logger } from '@mesh/telemetry';
import { withinTime } from './lifecycle';
import { type BackoffSettings, backoff, pause } from './retry';

export interface PeriodicJobSettings {
  /** For the log: "reservation expiry", "outbox relay". */
  name: string;
  /** Pause between the end of one run and the start of the next. */
  intervalMs: number;
  /**
   * Time limit of one run. A run over it is told to stop (its signal aborts) and logged as a
   * failure; the next run still starts only after it returned, so two never overlap.
   */
  timeoutMs: number;
  /**
   * One run. `signal` aborts when the run is over its time or the job stops. Resolving to
   * `'more'` (work is left, e.g. a full batch) starts the next run at once.
   */
  run: (signal: AbortSignal) => Promise<unknown>;
  logger: Logger;
  /** Pauses after failed runs, growing per failure in a row. Default: `intervalMs` every time. */
  failureBackoff?: BackoffSettings;
  /** Run at once when started instead of after the first interval. Default false. */
  runAtStart?: boolean;
}

export interface PeriodicJob {
  /** Ends the pause between runs now (new work arrived); a pause after a failure is kept. */
  wake(): void;
  /**
   * Schedules no more runs and waits for the run under way, up to `timeoutMs` (default: the
   * job's time limit), aborting its signal. Resolves to whether it ended in time; never rejects.
   */
  stop(options?: { timeoutMs?: number }): Promise<boolean>;
}

/**
 * The one way a Mesh service runs work on a schedule: a loop, not a setInterval, so runs never
 * overlap and a slow run delays the next instead of piling up. A run that throws is logged and
 * tried again after the pause; the job itself never stops on its own.
 */
export function startPeriodicJob(settings: PeriodicJobSettings): PeriodicJob {
  const { name, logger } = settings;
  const stopping = new AbortController();
  const failures = settings.failureBackoff ? backoff(settings.failureBackoff) : undefined;
  let failuresInARow = 0;
  let wakeUp = new AbortController();
  /** wake() was called since the current run began: the pause after it is skipped. */
  let woken = false;

  async function runOnce(): Promise<{ failed: boolean; more: boolean }> {
    woken = false;
    const limit = new AbortController();
    const signal = AbortSignal.any([limit.signal, stopping.signal]);
    let result: unknown;
    const running = Promise.resolve()
      .then(() => settings.run(signal))
      .then((value) => {
        result = value;
      });
    try {
      if (!(await withinTime(() => running, settings.timeoutMs))) {
        limit.abort();
        logger.warn({ job: name, timeoutMs: settings.timeoutMs }, 'job run over its time limit');
        await running.catch(() => undefined);
        return { failed: true, more: false };
      }
      return { failed: false, more: result === 'more' };
    } catch (error) {
      logger.warn({ err: error, job: name }, 'job run failed; will retry');
      return { failed: true, more: false };
    }
  }

  async function loop(): Promise<void> {
    if (!settings.runAtStart) await pause(settings.intervalMs, wakeableSignal());
    while (!stopping.signal.aborted) {
      const { failed, more } = await runOnce();
      if (stopping.signal.aborted) return;
      if (failed) {
        failuresInARow += 1;
        await pause(failures?.next() ?? settings.intervalMs, stopping.signal);
        continue;
      }
      if (failuresInARow > 0) logger.info({ job: name, failuresInARow }, 'job runs again');
      failuresInARow = 0;
      failures?.reset();
      if (!more) await pause(settings.intervalMs, wakeableSignal());
    }
  }

  /** Ends a pause on stop() or wake(). */
  function wakeableSignal(): AbortSignal {
    wakeUp = new AbortController();
    if (woken) wakeUp.abort();
    return AbortSignal.any([wakeUp.signal, stopping.signal]);
  }

  const done = loop().catch((error: unknown) =>
    logger.error({ err: error, job: name }, 'job stopped unexpectedly'),
  );
  return {
    wake() {
      woken = true;
      wakeUp.abort();
    },
    async stop(options = {}) {
      stopping.abort();
      return withinTime(() => done, options.timeoutMs ?? settings.timeoutMs);
    },
  };
}
