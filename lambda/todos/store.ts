/** What the event handlers need of the Todo records; DynamoDB is one adapter. */
export interface TodoStore {
  /**
   * Deletes the Todos of `userId` until none is left or `deadline` (epoch ms) comes. Safe to
   * repeat: a user with none left reports zero.
   */
  deleteAllOf(userId: string, limits?: DeletionLimits): Promise<DeletionReport>;
}

export interface DeletionLimits {
  /** No new request starts after this instant (epoch ms); the ones under way finish. */
  readonly deadline?: number;
}

export interface DeletionReport {
  readonly deleted: number;
  /** Todos that were found but are still there because their retries ran out. */
  readonly remaining: number;
  /** False when the deadline stopped the deletion: more Todos may be left, to continue later. */
  readonly finished: boolean;
}
