import { diag } from '@opentelemetry/api';
import { runningSdk, setRunningSdk } from './running-sdk';

export interface ShutdownResult {
  /** Every signal flushed and closed within the limit. */
  flushed: boolean;
  /** The limit ran out first; whatever was still queued is dropped. */
  timedOut: boolean;
}

/**
 * Flushes and stops all signals of the SDK the preload started, giving up after `timeoutMs`.
 * Never throws: a dead collector must not keep a process from exiting or turn a clean shutdown
 * into a crash. Without a running SDK there is nothing to flush.
 */
export async function shutdownTelemetry(
  options: { timeoutMs?: number } = {},
): Promise<ShutdownResult> {
  const sdk = runningSdk();
  if (!sdk) return { flushed: true, timedOut: false };
  setRunningSdk(undefined);

  const timeoutMs = options.timeoutMs ?? 5_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
    timer.unref();
  });
  try {
    const outcome = await Promise.race([sdk.shutdown().then(() => 'done' as const), timeout]);
    if (outcome === 'timeout') diag.warn(`telemetry shutdown gave up after ${timeoutMs} ms`);
    return { flushed: outcome === 'done', timedOut: outcome === 'timeout' };
  } catch (error) {
    diag.warn('telemetry shutdown failed', error);
    return { flushed: false, timedOut: false };
  } finally {
    clearTimeout(timer);
  }
}
