import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  paginateQuery,
  type QueryCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { DEFAULT_INDEX_SETTLE_MS } from '../erasure/erasure-limits.ts';
import { AdaptiveLimit } from './adaptive-limit.ts';
import { DEFAULT_RETRY, fullJitterDelay, type RetryPolicy, sleep } from './backoff.ts';
import type { TargetQuery } from './erasure-plan.ts';
import { type EraseLimits, EraseInterruptedError, type EraseReport, type TodoEraser } from './todo-eraser.ts';

export interface EraserOptions {
  /** BatchWriteItem requests in flight at most; throttling lowers it for the rest of a target. */
  readonly concurrency?: number;
  readonly retry?: RetryPolicy;
  /** How long an index is given to catch up before the pass that must find nothing. @default 1000 */
  readonly indexSettleMs?: number;
}

type Key = Record<string, AttributeValue>;

/** DynamoDB's limit on the requests in one BatchWriteItem call. */
export const BATCH_SIZE = 25;
export const DEFAULT_CONCURRENCY = 4;

// Throttling that outlasted the SDK's own retries: ours back off further rather than fail the erasure.
const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded']);
const isThrottling = (error: unknown): boolean => error instanceof Error && THROTTLING.has(error.name);

export interface WriteOutcome {
  written: number;
  /** Requests whose retries ran out. */
  remaining: number;
  /** False when the deadline (or the signal) stopped the writes: some were not sent. */
  finished: boolean;
}

/** A write or a Query failed for good: how many writes had been done, and why. */
class WritesInterruptedError extends Error {
  constructor(
    readonly written: number,
    override readonly cause: unknown,
  ) {
    super('writes interrupted', { cause });
  }
}

interface PassResult {
  /** Items the Queries returned, deleted before or not. */
  found: number;
  /** Items this erasure had not deleted before. */
  deleted: number;
  remaining: number;
  finished: boolean;
}

export class DynamoDbTodoEraser implements TodoEraser {
  readonly #concurrency: number;
  readonly #retry: RetryPolicy;
  readonly #settleMs: number;

  constructor(
    private readonly client: DynamoDBClient,
    options: EraserOptions = {},
  ) {
    this.#concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#settleMs = options.indexSettleMs ?? DEFAULT_INDEX_SETTLE_MS;
  }

  async erase(queries: readonly TargetQuery[], limits: EraseLimits = {}): Promise<EraseReport> {
    const deletedByTarget: Record<string, number> = {};
    let deleted = 0;
    let remaining = 0;
    for (let n = limits.fromTarget ?? 0; n < queries.length; n += 1) {
      const query = queries[n]!;
      let result: PassResult;
      try {
        result = query.target.indexName ? await this.#eraseThroughIndex(query, limits) : await this.#pass(query, limits);
      } catch (error) {
        const partial = error instanceof WritesInterruptedError ? error.written : 0;
        const progress = { deletedByTarget: { ...deletedByTarget, [query.target.name]: partial }, deleted: deleted + partial, remaining, finished: false, nextTarget: n };
        throw new EraseInterruptedError(progress, { cause: error instanceof WritesInterruptedError ? error.cause : error });
      }
      deletedByTarget[query.target.name] = result.deleted;
      deleted += result.deleted;
      remaining += result.remaining;
      if (!result.finished || result.remaining > 0) return { deletedByTarget, deleted, remaining, finished: false, nextTarget: n };
    }
    return { deletedByTarget, deleted, remaining, finished: true, nextTarget: queries.length };
  }

  /**
   * An index is eventually consistent: an item written a moment ago may not show yet, and one
   * deleted may still show. So passes repeat, each after a settle delay, until one finds nothing.
   */
  async #eraseThroughIndex(query: TargetQuery, limits: EraseLimits): Promise<PassResult> {
    const seen = new Set<string>();
    const total: PassResult = { found: 0, deleted: 0, remaining: 0, finished: true };
    for (let settled = false; ; settled = true) {
      const pass = await this.#pass(query, limits, seen);
      total.found += pass.found;
      total.deleted += pass.deleted;
      total.remaining += pass.remaining;
      if (!pass.finished || pass.remaining > 0) return { ...total, finished: pass.finished };
      // Only an empty pass that follows a settle delay proves the index has nothing more.
      if (settled && pass.found === 0) return total;
      if (Date.now() + this.#settleMs >= (limits.deadline ?? Number.POSITIVE_INFINITY)) return { ...total, finished: false };
      await sleep(this.#settleMs);
    }
  }

  /** One pass over the target's Queries: every item they find is deleted (again, if an index still shows it). */
  async #pass(query: TargetQuery, limits: EraseLimits, seen?: Set<string>): Promise<PassResult> {
    let found = 0;
    let repeats = 0;
    const keyPages = (prefix: AttributeValue | undefined) => this.#keyPages(query, prefix, limits.signal);
    async function* deletions(): AsyncGenerator<WriteRequest[]> {
      for (const prefix of query.prefixes.length > 0 ? query.prefixes : [undefined]) {
        for await (const keys of keyPages(prefix)) {
          found += keys.length;
          yield keys.map((Key) => {
            // Deleted before in this erasure, and still shown by an index: deleted again, counted once.
            const id = seen && JSON.stringify(Key);
            if (id && seen.has(id)) repeats += 1;
            else if (id) seen.add(id);
            return { DeleteRequest: { Key } };
          });
        }
      }
    }
    try {
      const { written, remaining, finished } = await this.#writeBatched(query.target.table, deletions(), limits);
      return { found, deleted: written - repeats, remaining, finished };
    } catch (error) {
      if (error instanceof WritesInterruptedError) throw new WritesInterruptedError(error.written - repeats, error.cause);
      throw error;
    }
  }

  /** Writes `requests` with the same batching, limits and retries as an erasure: for local tools and tests. */
  writeBatches(tableName: string, requests: readonly WriteRequest[]): Promise<WriteOutcome> {
    return this.#writeBatched(tableName, [requests], {});
  }

  /**
   * Streams the requests page by page and writes them in batches of 25, several in flight, while
   * the next page is read. What DynamoDB leaves unprocessed (or refuses as throttled) is sent
   * again after a full-jitter backoff, through the same limit on requests in flight, which
   * throttling halves and each clean batch raises by one: a hot partition is backed off, not
   * fought. Every request has settled before it returns.
   */
  async #writeBatched(
    tableName: string,
    pages: AsyncIterable<readonly WriteRequest[]> | Iterable<readonly WriteRequest[]>,
    { deadline = Number.POSITIVE_INFINITY, signal }: EraseLimits,
  ): Promise<WriteOutcome> {
    const result: WriteOutcome = { written: 0, remaining: 0, finished: true };
    let failure: unknown;
    const limit = new AdaptiveLimit(this.#concurrency);
    const inFlight = new Set<Promise<void>>();
    const waiting = new Set<Promise<void>>();
    const stopped = () => failure !== undefined || !result.finished;

    const retryLater = (requests: WriteRequest[], attempt: number) => {
      if (attempt > this.#retry.maxAttempts) {
        result.remaining += requests.length;
        return;
      }
      const delay = fullJitterDelay(attempt - 2, this.#retry);
      if (Date.now() + delay >= deadline) {
        result.finished = false;
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
      // Waiting for a slot can outlast the deadline; these requests are then left for the next run.
      if (Date.now() >= deadline || signal?.aborted) {
        result.finished = false;
        return;
      }
      const write: Promise<void> = this.#write(tableName, requests, signal)
        .then(
          (unprocessed) => {
            result.written += requests.length - unprocessed.length;
            if (unprocessed.length === 0) return limit.succeeded();
            limit.throttled();
            retryLater(unprocessed, attempt + 1);
          },
          (error: unknown) => {
            if (signal?.aborted) result.finished = false;
            else failure ??= error;
          },
        )
        .finally(() => inFlight.delete(write));
      inFlight.add(write);
    };

    // Requests carry over from one page to the next so that every batch but the last is full.
    const buffered: WriteRequest[] = [];
    try {
      for await (const page of pages) {
        buffered.push(...page);
        while (buffered.length >= BATCH_SIZE && !stopped()) await send(buffered.splice(0, BATCH_SIZE), 1);
        // No next page is read past the deadline either.
        if (Date.now() >= deadline) result.finished = false;
        if (stopped()) break;
      }
      if (buffered.length > 0 && !stopped()) await send(buffered, 1);
    } catch (error) {
      if (signal?.aborted) result.finished = false;
      else failure ??= error;
    } finally {
      while (inFlight.size > 0 || waiting.size > 0) await Promise.all([...inFlight, ...waiting]);
    }
    if (failure !== undefined) throw new WritesInterruptedError(result.written, failure);
    return result;
  }

  /** Keys only, as DynamoDB returned them, so an N or B key is deleted as it is stored. */
  #keyPages({ target, partitionValue }: TargetQuery, prefix: AttributeValue | undefined, signal: AbortSignal | undefined): AsyncGenerator<Key[]> {
    const names: Record<string, string> = { '#pk': target.partition.name };
    target.tableKeys.forEach(({ name }, n) => (names[`#k${n}`] = name));
    if (prefix) names['#sk'] = target.sort!.name;
    const input: QueryCommandInput = {
      TableName: target.table,
      IndexName: target.indexName,
      KeyConditionExpression: prefix ? '#pk = :pk AND begins_with(#sk, :prefix)' : '#pk = :pk',
      ProjectionExpression: target.tableKeys.map((_, n) => `#k${n}`).join(', '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':pk': partitionValue, ...(prefix && { ':prefix': prefix }) },
      // A Todo written a moment ago must not survive its user; an index cannot promise that (see above).
      ConsistentRead: target.indexName ? undefined : true,
    };
    return (async function* (client) {
      for await (const page of paginateQuery({ client }, input, { abortSignal: signal })) {
        if (page.Items?.length) yield page.Items;
      }
    })(this.client);
  }

  /** One BatchWriteItem: what it leaves unprocessed, all of it when DynamoDB throttles the call. */
  async #write(tableName: string, requests: WriteRequest[], signal: AbortSignal | undefined): Promise<WriteRequest[]> {
    try {
      const result = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }), { abortSignal: signal });
      return result.UnprocessedItems?.[tableName] ?? [];
    } catch (error) {
      if (isThrottling(error)) return requests;
      throw error;
    }
  }
}
