/**
 * A set that keeps only the `capacity` most recently touched entries: what a reconcile remembers
 * of the users it has already checked. A Scan returns one user's items together (a partition, a
 * run of sort keys), so a small window dedupes nearly all of them, and a table of millions of
 * Todos never needs millions of ids in memory; an id that fell out is only checked again.
 */
export class RecentSet<T> {
  readonly #entries = new Map<T, true>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a whole number of at least 1');
  }

  has(value: T): boolean {
    if (!this.#entries.has(value)) return false;
    // Touched: it moves to the newest end.
    this.#entries.delete(value);
    this.#entries.set(value, true);
    return true;
  }

  add(value: T): void {
    this.#entries.delete(value);
    this.#entries.set(value, true);
    if (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value as T);
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** `items` in consecutive chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError('size must be a whole number of at least 1');
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}
