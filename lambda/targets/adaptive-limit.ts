/**
 * How many requests may be in flight: halved when DynamoDB throttles, one more after each clean
 * answer (additive increase, multiplicative decrease, as TCP does), between 1 and `max`.
 */
export class AdaptiveLimit {
  #current: number;

  constructor(private readonly max: number) {
    this.#current = max;
  }

  get current(): number {
    return this.#current;
  }

  throttled(): void {
    this.#current = Math.max(1, Math.floor(this.#current / 2));
  }

  succeeded(): void {
    this.#current = Math.min(this.max, this.#current + 1);
  }
}
