import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  QueryCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { DEFAULT_RETRY, fullJitterDelay, type RetryPolicy, sleep } from './backoff.ts';
import type { DeletionReport, TodoStore } from './store.ts';

export interface TodoTable {
  readonly tableName: string;
  /** Partition key: the FusionAuth user id. */
  readonly userIdAttribute: string;
  /** Sort key: one Todo of that user. */
  readonly sortKeyAttribute: string;
}

export interface DeletionOptions {
  /** BatchWriteItem requests in flight at once. */
  readonly concurrency?: number;
  readonly retry?: RetryPolicy;
}

type Key = Record<string, AttributeValue>;

/** DynamoDB's limit on the requests in one BatchWriteItem call. */
const BATCH_SIZE = 25;
const DEFAULT_CONCURRENCY = 4;

// Throttling that outlasted the SDK's own retries: ours back off further rather than fail the delivery.
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);
const isThrottling = (error: unknown): boolean => error instanceof Error && THROTTLING.has(error.name);

export class DynamoDbTodoStore implements TodoStore {
  readonly #concurrency: number;
  readonly #retry: RetryPolicy;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: TodoTable,
    options: DeletionOptions = {},
  ) {
    this.#concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    this.#retry = options.retry ?? DEFAULT_RETRY;
  }

  /**
   * Streams the user's keys page by page and deletes them in batches of 25, several in flight,
   * while the next page is read. Every write has settled before this returns or throws.
   */
  async deleteAllOf(userId: string): Promise<DeletionReport> {
    let deleted = 0;
    let remaining = 0;
    let failure: unknown;
    const inFlight = new Set<Promise<void>>();
    const launch = async (keys: Key[]) => {
      while (inFlight.size >= this.#concurrency) await Promise.race(inFlight);
      if (failure !== undefined) return;
      const write: Promise<void> = this.#deleteBatch(keys)
        .then(
          (result) => {
            deleted += result.deleted;
            remaining += result.remaining;
          },
          (error: unknown) => {
            failure ??= error;
          },
        )
        .finally(() => inFlight.delete(write));
      inFlight.add(write);
    };
    // Keys carry over from one page to the next so that every batch but the last is full.
    const buffered: Key[] = [];
    try {
      for await (const keys of this.#keyPages(userId)) {
        buffered.push(...keys);
        while (buffered.length >= BATCH_SIZE) await launch(buffered.splice(0, BATCH_SIZE));
        if (failure !== undefined) break;
      }
      if (buffered.length > 0) await launch(buffered);
    } finally {
      await Promise.all(inFlight);
    }
    if (failure !== undefined) throw failure;
    return { deleted, remaining };
  }

  async *#keyPages(userId: string): AsyncGenerator<Key[]> {
    const { tableName, userIdAttribute, sortKeyAttribute } = this.table;
    let exclusiveStartKey: Key | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: '#user = :user',
          ProjectionExpression: '#user, #todo',
          ExpressionAttributeNames: { '#user': userIdAttribute, '#todo': sortKeyAttribute },
          ExpressionAttributeValues: { ':user': { S: userId } },
          // A Todo written a moment ago must not survive its user's deletion.
          ConsistentRead: true,
          ExclusiveStartKey: exclusiveStartKey,
        }),
      );
      if (page.Items?.length) yield page.Items;
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey);
  }

  async #deleteBatch(keys: Key[]): Promise<DeletionReport> {
    const { tableName } = this.table;
    let pending: WriteRequest[] = keys.map((Key) => ({ DeleteRequest: { Key } }));
    let deleted = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
        const unprocessed = result.UnprocessedItems?.[tableName] ?? [];
        deleted += pending.length - unprocessed.length;
        pending = unprocessed;
      } catch (error) {
        if (!isThrottling(error)) throw error;
      }
      if (pending.length === 0 || attempt >= this.#retry.maxAttempts) return { deleted, remaining: pending.length };
      await sleep(fullJitterDelay(attempt - 1, this.#retry));
    }
  }
}
