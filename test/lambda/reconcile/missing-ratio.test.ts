import { describe, expect, it } from 'vitest';
import { chunks, RecentSet } from '../../../lambda/reconcile/bounded-set.ts';
import { isFusionAuthId } from '../../../lambda/reconcile/fusionauth-ids.ts';
import { hopeless, judgeMissing, parseMaxMissing, wilsonLowerBound } from '../../../lambda/reconcile/missing-ratio.ts';

describe('the missing share', () => {
  it.each([
    ['20%', 0.2],
    ['0.2', 0.2],
    ['100%', 1],
    [' 5% ', 0.05],
    ['0', 0],
  ])('reads %j as %d', (text, fraction) => expect(parseMaxMissing(text)).toBeCloseTo(fraction));

  it.each(['', '%', '120%', '-1', '1.5', 'twenty'])('refuses %j', (text) => expect(() => parseMaxMissing(text)).toThrow('max-missing must be'));

  it('is within at the limit, refused above it, and says what to check', () => {
    expect(judgeMissing({ checked: 100, missing: 20 }, 0.2)).toEqual({ outcome: 'within', ratio: 0.2 });
    expect(judgeMissing({ checked: 0, missing: 0 }, 0)).toEqual({ outcome: 'within', ratio: 0 });
    const refused = judgeMissing({ checked: 100, missing: 21 }, 0.2);
    expect(refused).toMatchObject({ outcome: 'refused', ratio: 0.21 });
    expect(refused.outcome === 'refused' && refused.reason).toContain('FusionAuth does not have 21 of the 100 users it was asked about (21%), more than max-missing 20%');
    expect(judgeMissing({ checked: 10, missing: 10 }, 1).outcome).toBe('within');
  });

  it('stops early only after a sample, when the lower bound is past the limit, and never with the refusal off', () => {
    expect(hopeless({ checked: 999, missing: 999 }, 0.2)).toBe(false);
    expect(hopeless({ checked: 1000, missing: 500 }, 0.2)).toBe(true);
    expect(hopeless({ checked: 1000, missing: 230 }, 0.2)).toBe(false);
    expect(hopeless({ checked: 5000, missing: 5000 }, 1)).toBe(false);
    expect(wilsonLowerBound(0, 100, 3)).toBe(0);
    expect(wilsonLowerBound(50, 100, 3)).toBeLessThan(0.5);
  });
});

describe('bounded memory and ids', () => {
  it('keeps the most recently touched entries only', () => {
    const set = new RecentSet<string>(2);
    set.add('a');
    set.add('b');
    expect(set.has('a')).toBe(true);
    set.add('c');
    expect([set.has('a'), set.has('b'), set.has('c'), set.size]).toEqual([true, false, true, 2]);
  });

  it('chunks', () => expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]));

  it('takes UUIDs of any version and case as FusionAuth ids, nothing else', () => {
    expect(isFusionAuthId('00000000-0000-0001-0000-000000000000')).toBe(true);
    expect(isFusionAuthId('5F0C2A9E-7B1D-4E3F-8A6B-2C4D6E8F0A1B')).toBe(true);
    for (const id of ['auth0|123', 'legacy-user-1', '5f0c2a9e7b1d4e3f8a6b2c4d6e8f0a1b', ' 5f0c2a9e-7b1d-4e3f-8a6b-2c4d6e8f0a1b']) expect(isFusionAuthId(id)).toBe(false);
  });
});
