import { capturedLogger } from '@mesh/telemetry-testing';
import { startPeriodicJob } from '../src';

const until = async (condition: () => boolean, timeoutMs = 3_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('startPeriodicJob', () => {
  it('when started, then it runs every interval, never two runs at once, until stopped', async () => {
    const { logger } = capturedLogger();
    let runs = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    const job = startPeriodicJob({
      name: 'test',
      intervalMs: 10,
      timeoutMs: 1_000,
      logger,
      run: async () => {
        runs += 1;
        concurrent += 1;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await new Promise((resolve) => setTimeout(resolve, 15));
        concurrent -= 1;
      },
    });
    await until(() => runs >= 3);
    expect(await job.stop()).toBe(true);
    const runsAtStop = runs;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(runs).toBe(runsAtStop);
    expect(maxConcurrent).toBe(1);
  });

  it("when a run returns 'more', then the next one starts without waiting the interval", async () => {
    const { logger } = capturedLogger();
    let runs = 0;
    const job = startPeriodicJob({
      name: 'batches',
      intervalMs: 60_000,
      timeoutMs: 1_000,
      runAtStart: true,
      logger,
      run: async () => {
        runs += 1;
        return runs < 3 ? 'more' : undefined;
      },
    });
    await until(() => runs === 3);
    await job.stop();
    expect(runs).toBe(3);
  });

  it('when a run throws, then it is logged and tried again after a pause that grows per failure', async () => {
    const { logger, lines } = capturedLogger();
    const starts: number[] = [];
    const job = startPeriodicJob({
      name: 'flaky',
      intervalMs: 5,
      timeoutMs: 1_000,
      runAtStart: true,
      failureBackoff: { initialDelayMs: 40, maxDelayMs: 80 },
      logger,
      run: async () => {
        starts.push(Date.now());
        if (starts.length <= 2) throw new Error('database down');
      },
    });
    await until(() => starts.length >= 4);
    await job.stop();
    const failed = lines.filter((line) => line.msg === 'job run failed; will retry');
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatchObject({ job: 'flaky', err: { message: 'database down' } });
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'job runs again', failuresInARow: 2 }),
    );
    // Pauses after failures: 20-40 ms, then 40-80 ms; after the success only the 5 ms interval.
    expect((starts[1] as number) - (starts[0] as number)).toBeGreaterThanOrEqual(18);
    expect((starts[2] as number) - (starts[1] as number)).toBeGreaterThanOrEqual(38);
  });

  it('when a run is over its time limit, then its signal aborts and the time-out is logged', async () => {
    const { logger, lines } = capturedLogger();
    let aborted = false;
    const job = startPeriodicJob({
      name: 'slow',
      intervalMs: 60_000,
      timeoutMs: 30,
      runAtStart: true,
      logger,
      run: (signal) =>
        new Promise<undefined>((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve(undefined);
          });
        }),
    });
    await until(() => aborted);
    await job.stop();
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'job run over its time limit', job: 'slow', timeoutMs: 30 }),
    );
  });

  it('when stopped during a run, then stop waits for it, and gives up at its own limit on a stuck one', async () => {
    const { logger } = capturedLogger();
    let finished = false;
    const polite = startPeriodicJob({
      name: 'polite',
      intervalMs: 60_000,
      timeoutMs: 5_000,
      runAtStart: true,
      logger,
      run: async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        finished = true;
        return undefined;
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await polite.stop()).toBe(true);
    expect(finished).toBe(true);

    const stuck = startPeriodicJob({
      name: 'stuck',
      intervalMs: 60_000,
      timeoutMs: 60_000,
      runAtStart: true,
      logger,
      run: () => new Promise<undefined>(() => undefined),
    });
    const started = Date.now();
    expect(await stuck.stop({ timeoutMs: 50 })).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('when woken, then the pause ends at once, also when woken during a run', async () => {
    const { logger } = capturedLogger();
    let runs = 0;
    let release: (() => void) | undefined;
    const job = startPeriodicJob({
      name: 'wakeable',
      intervalMs: 60_000,
      timeoutMs: 5_000,
      logger,
      run: async () => {
        runs += 1;
        if (runs === 1) await new Promise<void>((resolve) => (release = resolve));
        return undefined;
      },
    });
    job.wake();
    await until(() => runs === 1);
    job.wake();
    release?.();
    await until(() => runs === 2);
    await job.stop();
  });
});
