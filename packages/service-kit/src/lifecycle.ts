import { types } from 'node:util';
import { type Logger, shutdownTelemetry } from '@mesh/telemetry';
import { maskCredentials } from './config';

export interface ShutdownStep {
  /** For the log: "http server", "postgres pool". */
  name: string;
  close: () => Promise<unknown> | unknown;
  /** Default 5 s. A step that takes longer is abandoned and the next one runs. */
  timeoutMs?: number;
}

/** Runs `work`, giving up after `timeoutMs`; resolves to whether it finished in time. */
export async function withinTime(work: () => Promise<unknown> | unknown, timeoutMs: number) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    return (await Promise.race([Promise.resolve().then(work), timeout])) !== 'timeout';
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Closes everything in order (server first, so no new work arrives; then consumers, pools and
 * clients), each within its own limit, then flushes telemetry last so the shutdown itself is
 * traced and logged. Never throws.
 */
export async function shutdown(steps: ShutdownStep[], logger: Logger): Promise<boolean> {
  let clean = true;
  for (const step of steps) {
    const timeoutMs = step.timeoutMs ?? 5_000;
    try {
      if (!(await withinTime(step.close, timeoutMs))) {
        clean = false;
        logger.warn({ step: step.name, timeoutMs }, 'shutdown step timed out');
      }
    } catch (error) {
      clean = false;
      logger.warn({ err: error, step: step.name }, 'shutdown step failed');
    }
  }
  logger.info({ clean }, 'stopped');
  await shutdownTelemetry({ timeoutMs: 3_000 });
  return clean;
}

/**
 * Wires SIGTERM and SIGINT to `shutdown(steps)` and exits when it is done. A second signal
 * exits at once.
 */
export function exitOnSignals(steps: ShutdownStep[], logger: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping');
    void shutdown(steps, logger).then((clean) => process.exit(clean ? 0 : 1));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * `value` for the log with URL credentials masked in every string: an error's message, stack,
 * own fields (Node's URL errors keep the input) and cause, copied with its prototype so the
 * logger still names its type.
 */
function withoutCredentials(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskCredentials(value);
  if (depth > 4) return value;
  if (Array.isArray(value)) return value.map((item) => withoutCredentials(item, depth + 1));
  // isNativeError also knows errors made in another realm (a vm context, as under jest).
  if (!(value instanceof Error || types.isNativeError(value))) return value;
  const copy = Object.create(Object.getPrototypeOf(value)) as Error;
  for (const key of Object.getOwnPropertyNames(value)) {
    // V8 makes `stack` an accessor: read each field through the error, store it as data.
    const field = (value as unknown as Record<string, unknown>)[key];
    Object.defineProperty(copy, key, {
      value: withoutCredentials(field, depth + 1),
      enumerable: Object.getOwnPropertyDescriptor(value, key)?.enumerable ?? false,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

/**
 * For main.ts: logs a start failure (bad config, unreachable database) and exits non-zero. A
 * URL setting echoed in the error (a bad DATABASE_URL) is logged without its password.
 */
export function failStart(logger: Logger, error: unknown): never {
  logger.fatal({ err: withoutCredentials(error) }, 'failed to start');
  process.exit(1);
}
