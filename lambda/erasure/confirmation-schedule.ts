import { MAX_DELAY_SECONDS } from './jobs.ts';

/**
 * Seconds until the next look at FusionAuth: the first delay doubled with each look (a bulk
 * delete can hold its transaction for minutes, so early looks are cheap and late ones rare),
 * never longer than SQS's longest delay, and never past the end of the window, where the last
 * look decides.
 */
export function nextLookIn(firstDelaySeconds: number, attempt: number, secondsLeft: number): number {
  const backedOff = Math.max(1, firstDelaySeconds) * 2 ** Math.min(attempt, 30);
  return Math.max(0, Math.min(backedOff, MAX_DELAY_SECONDS, Math.ceil(secondsLeft)));
}
