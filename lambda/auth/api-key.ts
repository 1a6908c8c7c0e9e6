import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Whether `presented` equals one of `keys`. Comparing fixed-length digests in constant time, and
 * every key each time, keeps the answer's timing independent of how much of a key was guessed
 * and of which key matched.
 */
export function matchesApiKey(presented: string | undefined, keys: readonly string[]): boolean {
  if (presented === undefined || presented.length === 0) return false;
  const candidate = digest(presented);
  let matched = false;
  for (const key of keys) matched = timingSafeEqual(candidate, digest(key)) || matched;
  return matched;
}

/** Keys as configured: comma- or newline-separated, spaces around each ignored. */
export const parseApiKeys = (value: string): string[] =>
  value
    .split(/[,\n]/)
    .map((key) => key.trim())
    .filter((key) => key.length > 0);
