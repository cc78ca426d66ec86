export interface EventuallyOptions {
  /** Default 20 s. */
  timeoutMs?: number;
  /** Default 50 ms. */
  intervalMs?: number;
}

/**
 * Polls `probe` until it returns something other than undefined and resolves with that; after
 * `timeoutMs`, fails naming `what`. For effects that arrive asynchronously: a consumed message,
 * an order reaching its terminal state.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  { timeoutMs = 20_000, intervalMs = 50 }: EventuallyOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
