import { describe, expect, it } from 'vitest';
import { equalsOneOf } from '../../../lambda/auth/constant-time.ts';

describe('equalsOneOf', () => {
  const keys = ['current-key', 'previous-key'];

  it('accepts each configured value, so a key can be rotated with both valid', () => {
    expect(equalsOneOf('current-key', keys)).toBe(true);
    expect(equalsOneOf('previous-key', keys)).toBe(true);
  });

  it.each(['', 'current-ke', 'current-key ', 'CURRENT-KEY', 'Bearer current-key', 'current-key,previous-key'])('refuses %j', (presented) => {
    expect(equalsOneOf(presented, keys)).toBe(false);
  });

  it('refuses everything when nothing is configured', () => {
    expect(equalsOneOf('anything', [])).toBe(false);
  });
});
