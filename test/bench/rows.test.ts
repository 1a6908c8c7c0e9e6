import { describe, expect, it } from 'vitest';
import { markdownTable, ratioOf, verdict } from '../../bench/lib/rows.ts';

describe('a bench row', () => {
  it('is ours over the baseline unless its ratio is given, and met only at or under its target', () => {
    expect(ratioOf({ name: 'r', value: 3, unit: 's', baseline: 2 })).toBe(1.5);
    expect(ratioOf({ name: 'r', value: 3, unit: 's', baseline: 2, ratio: 1.1 })).toBe(1.1);
    expect(ratioOf({ name: 'r', value: 3, unit: 's' })).toBeUndefined();
    expect(verdict({ name: 'r', value: 2.3, unit: 's', baseline: 2, target: 1.15 })).toBe('met');
    expect(verdict({ name: 'r', value: 2.31, unit: 's', baseline: 2, target: 1.15 })).toBe('not met');
    expect(verdict({ name: 'r', value: 0, unit: 'answers', baseline: 100, target: 0 })).toBe('met');
    expect(verdict({ name: 'r', value: 3, unit: 's', baseline: 2 })).toBe('—');
  });

  it('prints as a Markdown table with its ratio, target and verdict', () => {
    const table = markdownTable([
      { name: 'fast', value: 19.3, unit: 's', baseline: 20, baselineName: 'floor', target: 1.15 },
      { name: 'slow', value: 91, unit: 's', baseline: 35, baselineName: 'floor', target: 1.2 },
    ]).split('\n');
    expect(table).toHaveLength(4);
    expect(table[2]).toMatch(/^\| fast +\| 19\.3 s +\| 20 s \(floor\) +\| 0\.97× +\| ≤ 1\.15× +\| met +\|$/);
    expect(table[3]).toMatch(/\| 2\.60× +\| ≤ 1\.2× +\| \*\*not met\*\* \|$/);
  });
});
