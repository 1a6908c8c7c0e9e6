import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  QueryCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { AdaptiveLimit } from './adaptive-limit.ts';
import { DEFAULT_RETRY, fullJitterDelay, type RetryPolicy, sleep } from './backoff.ts';
import type { DeletionLimits, DeletionReport, TodoStore } from './store.ts';

export interface TodoTable {
  readonly tableName: string;
  /** Partition key: the FusionAuth user id. */
  readonly userIdAttribute: string;
  /** Sort key: one Todo of that user. */
  readonly sortKeyAttribute: string;
}

export interface DeletionOptions {
  /** BatchWriteItem requests in flight at most; throttling lowers it for the rest of a deletion. */
  readonly concurrency?: number;
  readonly retry?: RetryPolicy;
}

type Key = Record<string, AttributeValue>;

/** DynamoDB's limit on the requests in one BatchWriteItem call. */
export const BATCH_SIZE = 25;
export const DEFAULT_CONCURRENCY = 4;

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
   * while the next page is read. What DynamoDB leaves unprocessed (or refuses as throttled) is
   * sent again after a full-jitter backoff, through the same limit on requests in flight, which
   * throttling halves and each clean batch raises by one: a hot partition is backed off, not
   * fought. Every request has settled before this returns or throws.
   */
  async deleteAllOf(userId: string, { deadline = Number.POSITIVE_INFINITY }: DeletionLimits = {}): Promise<DeletionReport> {
    let deleted = 0;
    let remaining = 0;
    let finished = true;
    let failure: unknown;
    const limit = new AdaptiveLimit(this.#concurrency);
    const inFlight = new Set<Promise<void>>();
    const waiting = new Set<Promise<void>>();

    const retryLater = (requests: WriteRequest[], attempt: number) => {
      if (attempt > this.#retry.maxAttempts) {
        remaining += requests.length;
        return;
      }
      const delay = fullJitterDelay(attempt - 2, this.#retry);
      if (Date.now() + delay >= deadline) {
        finished = false;
        return;
      }
      const retry: Promise<void> = sleep(delay)
        .then(() => send(requests, attempt))
        .finally(() => waiting.delete(retry));
      waiting.add(retry);
    };

    const send = async (requests: WriteRequest[], attempt: number) => {
      while (inFlight.size >= limit.current) await Promise.race(inFlight);
      if (failure !== undefined) return;
      // Waiting for a slot can outlast the deadline; these keys are then left for the next run.
      if (Date.now() >= deadline) {
        finished = false;
        return;
      }
      const write: Promise<void> = this.#write(requests)
        .then(
          (unprocessed) => {
            deleted += requests.length - unprocessed.length;
            if (unprocessed.length === 0) return limit.succeeded();
            limit.throttled();
            retryLater(unprocessed, attempt + 1);
          },
          (error: unknown) => {
            failure ??= error;
          },
        )
        .finally(() => inFlight.delete(write));
      inFlight.add(write);
    };

    // Keys carry over from one page to the next so that every batch but the last is full.
    const buffered: WriteRequest[] = [];
    try {
      for await (const keys of this.#keyPages(userId)) {
        buffered.push(...keys.map((Key) => ({ DeleteRequest: { Key } })));
        while (buffered.length >= BATCH_SIZE && finished) await send(buffered.splice(0, BATCH_SIZE), 1);
        // No next page is read past the deadline either.
        if (Date.now() >= deadline) finished = false;
        if (failure !== undefined || !finished) break;
      }
      if (buffered.length > 0 && finished) await send(buffered, 1);
    } finally {
      while (inFlight.size > 0 || waiting.size > 0) await Promise.all([...inFlight, ...waiting]);
    }
    if (failure !== undefined) throw failure;
    return { deleted, remaining, finished };
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

  /** One BatchWriteItem: what it leaves unprocessed, all of it when DynamoDB throttles the call. */
  async #write(requests: WriteRequest[]): Promise<WriteRequest[]> {
    const { tableName } = this.table;
    try {
      const result = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }));
      return result.UnprocessedItems?.[tableName] ?? [];
    } catch (error) {
      if (isThrottling(error)) return requests;
      throw error;
    }
  }
}
