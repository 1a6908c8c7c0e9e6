import { setTimeout as wait } from 'node:timers/promises';

/**
 * At most `perSecond` requests a second, spread evenly (a start every 1/rps seconds): FusionAuth
 * serves logins too, and a reconcile must not crowd them out. Infinity turns it off.
 */
export class RateLimiter {
  readonly #intervalMs: number;
  #next = 0;

  constructor(perSecond: number) {
    if (!(perSecond > 0)) throw new RangeError('requests per second must be above 0');
    this.#intervalMs = Number.isFinite(perSecond) ? 1000 / perSecond : 0;
  }

  /** Resolves when the next request may start. */
  async take(signal?: AbortSignal): Promise<void> {
    if (this.#intervalMs === 0) return;
    const now = performance.now();
    const start = Math.max(now, this.#next);
    this.#next = start + this.#intervalMs;
    if (start > now) await wait(start - now, undefined, { signal });
  }
}
