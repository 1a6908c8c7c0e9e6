import { describe, expect, it } from 'vitest';
import { matchesApiKey, parseApiKeys } from '../../../lambda/auth/api-key.ts';

describe('matchesApiKey', () => {
  const keys = ['current-key', 'previous-key'];

  it('accepts each configured key, so a key can be rotated with both valid', () => {
    expect(matchesApiKey('current-key', keys)).toBe(true);
    expect(matchesApiKey('previous-key', keys)).toBe(true);
  });

  it.each([undefined, '', 'current-ke', 'current-key ', 'CURRENT-KEY', 'Bearer current-key', 'current-key,previous-key'])(
    'refuses %j',
    (presented) => {
      expect(matchesApiKey(presented, keys)).toBe(false);
    },
  );

  it('refuses everything when no key is configured', () => {
    expect(matchesApiKey('anything', [])).toBe(false);
  });
});

describe('parseApiKeys', () => {
  it('splits on commas and newlines and trims each key', () => {
    expect(parseApiKeys(' a , b\nc\n\n,')).toEqual(['a', 'b', 'c']);
  });

  it('finds no key in blank text', () => {
    expect(parseApiKeys(' , \n')).toEqual([]);
  });
});
