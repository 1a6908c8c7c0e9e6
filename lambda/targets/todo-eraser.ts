import type { TargetQuery } from './erasure-plan.ts';

/** What an erasure needs of the tables that hold Todos; DynamoDB is one adapter. */
export interface TodoEraser {
  /**
   * Deletes what each query finds, target after target, each to the end before the next,
   * starting at `fromTarget`, until all are empty or `deadline` comes. Safe to repeat: an erased
   * user reports zero.
   */
  erase(queries: readonly TargetQuery[], limits: EraseLimits): Promise<EraseReport>;
}

export interface EraseLimits {
  /** No new request starts after this instant (epoch ms); the ones under way finish. */
  readonly deadline?: number;
  /** Aborts what is under way: the caller's own time is up. */
  readonly signal?: AbortSignal;
  /** The target to start at: the ones before it were finished by an earlier run. @default 0 */
  readonly fromTarget?: number;
}

export interface EraseReport {
  /** Items deleted by this run, by target name. */
  readonly deletedByTarget: Readonly<Record<string, number>>;
  readonly deleted: number;
  /** Items that were found but are still there because their retries ran out. */
  readonly remaining: number;
  /** False when the deadline stopped the erasure: more may be left, to continue from `nextTarget`. */
  readonly finished: boolean;
  readonly nextTarget: number;
  /**
   * Deletions aborted on the wire at the caller's signal, before DynamoDB answered: done or not,
   * they are not in `deleted`, and a later run finds what is left. Absent when none were.
   */
  readonly unanswered?: number;
}

/** An erasure stopped by an error it could not retry: what it had deleted by then, and the cause. */
export class EraseInterruptedError extends Error {
  override name = 'EraseInterruptedError';

  constructor(
    readonly progress: EraseReport,
    options: { readonly cause: unknown },
  ) {
    super(`the erasure stopped on an error after ${progress.deleted} deletion(s)`, options);
  }
}
