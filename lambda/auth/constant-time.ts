import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string | Uint8Array): Buffer => createHash('sha256').update(value).digest();

/**
 * Whether `presented` equals one of `expected`. Comparing fixed-length digests in constant time,
 * and every candidate each time, keeps the answer's timing independent of how much of a secret
 * was guessed and of which one matched.
 */
export function equalsOneOf(presented: string | Uint8Array, expected: readonly (string | Uint8Array)[]): boolean {
  const candidate = digest(presented);
  let matched = false;
  for (const value of expected) matched = timingSafeEqual(candidate, digest(value)) || matched;
  return matched;
}
