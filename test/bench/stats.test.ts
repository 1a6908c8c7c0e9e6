import { describe, expect, it } from 'vitest';
import { median, pairedRatio, percentile } from '../../bench/lib/stats.ts';

describe('percentile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, n) => 100 - n);

  it('is the sample at rank ceil(p/100 × n), whatever the order given', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 99.5)).toBe(100);
    expect(percentile([3, 1, 2], 50)).toBe(2);
    expect(percentile([3, 1, 2], 34)).toBe(2);
    expect(percentile([3, 1, 2], 33)).toBe(1);
  });

  it('clamps to the extremes and leaves its input alone', () => {
    const samples = [5, 1, 9];
    expect(percentile(samples, 0)).toBe(1);
    expect(percentile(samples, 100)).toBe(9);
    expect(samples).toEqual([5, 1, 9]);
  });

  it('is NaN for no samples', () => {
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('median', () => {
  it('is the middle sample, or the mean of the two middle ones', () => {
    expect(median([9, 1, 5])).toBe(5);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

describe('pairedRatio', () => {
  it('is the median of the pairs’ ratios, not the ratio of the medians', () => {
    expect(pairedRatio([2, 30, 4], [1, 10, 4])).toBe(2);
    expect(median([2, 30, 4]) / median([1, 10, 4])).toBe(1);
  });
});
