/** What the event handlers need of the Todo records; DynamoDB is one adapter. */
export interface TodoStore {
  /** Deletes every Todo of `userId`. Safe to repeat: a user with none left reports zero. */
  deleteAllOf(userId: string): Promise<DeletionReport>;
}

export interface DeletionReport {
  readonly deleted: number;
  /** Todos that were found but are still there once retries ran out. */
  readonly remaining: number;
}
