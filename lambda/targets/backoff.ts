export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** About 5 s in the worst case, well inside API Gateway's 30 s. */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 1000 };

/**
 * "Full jitter" from AWS's backoff guidance: a uniform delay up to the exponential cap, so
 * retrying writers spread out instead of colliding again.
 */
export const fullJitterDelay = (retry: number, policy: RetryPolicy, random: () => number = Math.random): number =>
  random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
