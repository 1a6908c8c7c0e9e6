/** Floating-point slack: 0.1 + 0.2 units must afford 0.3. */
const EPSILON = 1e-9;

/**
 * Units that refill continuously at `rate` a second up to `capacity`, read against a clock the
 * caller passes in (so a test can move time by hand). The level may go below zero: a read is
 * charged after the fact for what it turned out to read, and the debt delays what comes next.
 */
export class TokenBucket {
  #rate: number;
  #capacity: number;
  #level: number;
  #updatedAt: number;

  /** Starts full: a partition nobody has used yet has its whole allowance. */
  constructor(rate: number, capacity: number, now: number) {
    this.#rate = rate;
    this.#capacity = capacity;
    this.#level = capacity;
    this.#updatedAt = now;
  }

  /** The units available at `now` (negative while in debt). */
  level(now: number): number {
    this.#refill(now);
    return this.#level;
  }

  /** Whether anything at all is left: what a read needs to be let in. */
  hasUnits(now: number): boolean {
    return this.level(now) > EPSILON;
  }

  /**
   * Whether `units` can be taken now. A full bucket affords anything: an item costlier than the
   * bucket holds (possible once a test scales the limit down) would otherwise never be written.
   */
  affords(units: number, now: number): boolean {
    const level = this.level(now);
    return level + EPSILON >= units || level + EPSILON >= this.#capacity;
  }

  take(units: number, now: number): void {
    this.#refill(now);
    this.#level -= units;
  }

  /** Returns units taken for work that did not happen (a write the backend rejected). */
  give(units: number, now: number): void {
    this.#refill(now);
    this.#level = Math.min(this.#capacity, this.#level + units);
  }

  /** New limits apply from `now`; what is in the bucket stays, up to the new capacity. */
  reshape(rate: number, capacity: number, now: number): void {
    this.#refill(now);
    this.#rate = rate;
    this.#capacity = capacity;
    this.#level = Math.min(this.#level, capacity);
  }

  #refill(now: number): void {
    // A clock that goes backwards (a test resetting it) refills nothing rather than draining.
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#level = Math.min(this.#capacity, this.#level + (elapsed / 1000) * this.#rate);
    this.#updatedAt = Math.max(this.#updatedAt, now);
  }
}
