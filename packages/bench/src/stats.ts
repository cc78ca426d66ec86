/** The value below which `share` (0..1) of the sorted values lie (nearest rank). */
export function percentile(values: readonly number[], share: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil(share * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** How a ratio measured once per pair spread over the pairs. */
export interface Spread {
  min: number;
  median: number;
  max: number;
  /** One per pair, in run order. */
  values: number[];
}

/**
 * `on ÷ off` for each pair. A pair whose denominator is 0 or not a number gives NaN, which the
 * spread leaves out rather than letting one broken pair turn every statistic into NaN.
 */
export function pairRatios(pairs: readonly { on: number; off: number }[]): number[] {
  return pairs.map(({ on, off }) => (off > 0 && Number.isFinite(on) ? on / off : Number.NaN));
}

export function spread(values: readonly number[]): Spread {
  const finite = values.filter(Number.isFinite);
  return {
    min: finite.length ? Math.min(...finite) : Number.NaN,
    median: median(finite),
    max: finite.length ? Math.max(...finite) : Number.NaN,
    values: [...values],
  };
}
