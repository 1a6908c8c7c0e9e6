import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

// A credential list lives as long as its source keeps it (the environment's for good, a secret's
// until it changes), so its digests are worked out once per list, not per request.
const digestsOf = new WeakMap<readonly string[], readonly Buffer[]>();

/**
 * Whether `presented` equals one of `expected`. Comparing fixed-length digests in constant time,
 * and every candidate each time, keeps the answer's timing independent of how much of a secret
 * was guessed and of which one matched.
 */
export function equalsOneOf(presented: string, expected: readonly string[]): boolean {
  let digests = digestsOf.get(expected);
  if (!digests) digestsOf.set(expected, (digests = expected.map(digest)));
  const candidate = digest(presented);
  let matched = false;
  for (const value of digests) matched = timingSafeEqual(candidate, value) || matched;
  return matched;
}
