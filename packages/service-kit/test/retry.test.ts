import { backoff, pause, retryPolicy } from '../src';

describe('retryPolicy', () => {
  it('when a call keeps failing with a retryable error, then it is tried maxAttempts times in all', async () => {
    let calls = 0;
    const policy = retryPolicy({ maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 2 });
    await expect(
      policy.execute(() => {
        calls += 1;
        throw new Error('down');
      }),
    ).rejects.toThrow('down');
    expect(calls).toBe(3);
  });

  it('when retryIf refuses an error, then it is thrown after the first attempt', async () => {
    let calls = 0;
    const policy = retryPolicy({
      maxAttempts: 5,
      initialDelayMs: 1,
      maxDelayMs: 2,
      retryIf: (error) => (error as Error).message === 'transient',
    });
    await expect(
      policy.execute(() => {
        calls += 1;
        throw new Error('bad input');
      }),
    ).rejects.toThrow('bad input');
    expect(calls).toBe(1);
  });

  it('when a call succeeds after failures, then its result is returned and onRetry saw each pause', async () => {
    const delays: number[] = [];
    const policy = retryPolicy({ initialDelayMs: 10, maxDelayMs: 20 });
    policy.onRetry((event) => delays.push(event.delay));
    let calls = 0;
    const result = await policy.execute(() => {
      calls += 1;
      if (calls < 4) throw new Error('not yet');
      return 'done';
    });
    expect(result).toBe('done');
    expect(delays).toHaveLength(3);
    // Half jitter: between half and all of 10, 20, 20 (capped).
    expect(delays[0]).toBeGreaterThanOrEqual(5);
    expect(delays[0]).toBeLessThanOrEqual(10);
    for (const delay of delays.slice(1)) {
      expect(delay).toBeGreaterThanOrEqual(10);
      expect(delay).toBeLessThanOrEqual(20);
    }
  });
});

describe('backoff', () => {
  it('when failures follow each other, then pauses double up to the limit, and reset starts over', () => {
    const pauses = backoff({ initialDelayMs: 100, maxDelayMs: 400 });
    const bounds = [
      [50, 100],
      [100, 200],
      [200, 400],
      [200, 400],
    ];
    for (const [low, high] of bounds) {
      const delay = pauses.next();
      expect(delay).toBeGreaterThanOrEqual(low as number);
      expect(delay).toBeLessThanOrEqual(high as number);
    }
    expect(pauses.failures).toBe(4);
    pauses.reset();
    expect(pauses.failures).toBe(0);
    expect(pauses.next()).toBeLessThanOrEqual(100);
  });
});

describe('pause', () => {
  it('when the signal aborts, then the pause ends at once', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const waiting = pause(10_000, controller.signal);
    controller.abort();
    await waiting;
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('when nothing aborts, then it waits the whole time', async () => {
    const started = Date.now();
    await pause(50);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });
});
