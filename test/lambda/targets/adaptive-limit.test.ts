import { describe, expect, it } from 'vitest';
import { AdaptiveLimit } from '../../../lambda/targets/adaptive-limit.ts';

describe('AdaptiveLimit', () => {
  it('halves on throttling down to one, and climbs back one at a time up to its maximum', () => {
    const limit = new AdaptiveLimit(8);
    const seen: number[] = [limit.current];
    for (const step of ['t', 't', 't', 't', 's', 's', 't', 's', 's', 's', 's', 's', 's', 's', 's']) {
      if (step === 't') limit.throttled();
      else limit.succeeded();
      seen.push(limit.current);
    }
    expect(seen).toEqual([8, 4, 2, 1, 1, 2, 3, 1, 2, 3, 4, 5, 6, 7, 8, 8]);
  });
});
