/** Order statistics: every row reports these rather than means, which one stall on a shared machine skews. */

/** Nearest-rank percentile, p in 0..100: always one of the samples. NaN for none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** The middle sample, or the mean of the two middle ones. NaN for none. */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * The median of a[i] / b[i]: samples taken back to back in pairs share the machine's load of the
 * moment, so their ratios cancel the drift of a shared machine that the ratio of two medians keeps.
 */
export const pairedRatio = (a: readonly number[], b: readonly number[]): number => median(a.map((x, i) => x / b[i]!));

export const round = (value: number, digits = 3): number => Math.round(value * 10 ** digits) / 10 ** digits;
