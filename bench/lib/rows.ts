/**
 * A row of the results table: one thing of ours measured side by side with one baseline in the
 * same run, their ratio, and the target that ratio is held to.
 */

export type Unit = 'bytes' | 'ms' | 'µs' | 'req/s' | 'requests' | 's';

export interface Measure {
  readonly value: number;
  readonly unit: Unit;
  /** Shown instead of the plain value, e.g. "≈ 70 s (extrapolated)". */
  readonly label?: string;
}

export type Target =
  /** ours / baseline must not exceed `max`. */
  | { readonly kind: 'max-ratio'; readonly max: number }
  /** ours may exceed the baseline only by the retries it counted. */
  | { readonly kind: 'baseline-plus-retries'; readonly retries: number }
  /** Not a target: what the issue says to expect, baseline / ours between `low` and `high`. */
  | { readonly kind: 'expected-gain'; readonly low: number; readonly high: number; readonly what: 'less time' | 'fewer requests' };

export type Verdict = 'pass' | 'miss' | 'as expected' | 'above expectation' | 'below expectation' | 'info';

export interface Row {
  readonly id: string;
  readonly section: string;
  readonly label: string;
  readonly ours: Measure;
  readonly baseline: Measure;
  readonly baselineName: string;
  /** ours / baseline. */
  readonly ratio: number;
  readonly target?: Target;
  readonly verdict: Verdict;
  /** Why a target was missed, or what qualifies the numbers. */
  readonly note?: string;
}

export interface RowInput extends Omit<Row, 'ratio' | 'verdict'> {
  /** Defaults to ours / baseline. */
  readonly ratio?: number;
}

export function judge(ratio: number, ours: number, baseline: number, target: Target | undefined): Verdict {
  if (!target) return 'info';
  switch (target.kind) {
    case 'max-ratio':
      return ratio <= target.max ? 'pass' : 'miss';
    case 'baseline-plus-retries':
      return ours <= baseline + target.retries ? 'pass' : 'miss';
    case 'expected-gain': {
      const gain = 1 / ratio;
      return gain < target.low ? 'below expectation' : gain > target.high ? 'above expectation' : 'as expected';
    }
  }
}

export function row(input: RowInput): Row {
  const ratio = input.ratio ?? input.ours.value / input.baseline.value;
  return { ...input, ratio, verdict: judge(ratio, input.ours.value, input.baseline.value, input.target) };
}
