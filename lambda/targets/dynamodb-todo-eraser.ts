import {
  type AttributeValue,
  BatchWriteItemCommand,
  type BatchWriteItemCommandInput,
  type BatchWriteItemCommandOutput,
  type DynamoDBClient,
  paginateQuery,
  type QueryCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { DEFAULT_INDEX_SETTLE_MS } from '../erasure/erasure-limits.ts';
import { DEFAULT_RETRY, fullJitterDelay, type RetryPolicy, sleep } from './backoff.ts';
import type { TargetQuery } from './erasure-plan.ts';
import { type EraseLimits, EraseInterruptedError, type EraseReport, type TodoEraser } from './todo-eraser.ts';
import { DEFAULT_PACING, TableThroughput, WritePacer, type WritePacerOptions } from './write-pacer.ts';

export interface EraserOptions {
  /** BatchWriteItem requests in flight at most; throttling lowers it for a while. */
  readonly concurrency?: number;
  readonly retry?: RetryPolicy;
  /** How writes follow what DynamoDB admits (see write-pacer.ts). @default DEFAULT_PACING */
  readonly pacing?: Partial<Omit<WritePacerOptions, 'maxInFlight'>>;
  /** Called as each BatchWriteItem goes out: for tests and benchmarks that watch the pacing. */
  readonly onBatch?: (batch: BatchSent) => void;
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

/** One BatchWriteItem as it goes out, and the pacer's state then. */
export interface BatchSent {
  readonly items: number;
  /** 1 for the first time these items are sent, 2 for their first retry, … */
  readonly attempt: number;
  /** Requests in flight, this one included. */
  readonly inFlight: number;
  readonly inFlightLimit: number;
  /** The paced rate; Infinity until DynamoDB has refused something. */
  readonly itemsPerSecond: number;
}

interface Written {
  readonly unprocessed: WriteRequest[];
  readonly throttled: boolean;
}

export interface WriteOutcome {
  written: number;
  /** Requests whose retries ran out. */
  remaining: number;
  /** False when the deadline (or the signal) stopped the writes: some were not sent. */
  finished: boolean;
  /** Requests aborted on the wire: DynamoDB may have done them, unanswered. */
  unanswered: number;
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
  unanswered: number;
}

export class DynamoDbTodoEraser implements TodoEraser {
  readonly #concurrency: number;
  readonly #retry: RetryPolicy;
  readonly #settleMs: number;
  readonly #pacing: Partial<Omit<WritePacerOptions, 'maxInFlight'>>;
  readonly #onBatch: ((batch: BatchSent) => void) | undefined;
  /** Per table, what the erasures this eraser runs at once were admitted (see write-pacer.ts). */
  readonly #tables = new Map<string, TableThroughput>();

  constructor(
    private readonly client: DynamoDBClient,
    options: EraserOptions = {},
  ) {
    this.#concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#settleMs = options.indexSettleMs ?? DEFAULT_INDEX_SETTLE_MS;
    this.#pacing = options.pacing ?? DEFAULT_PACING;
    this.#onBatch = options.onBatch;
  }

  async erase(queries: readonly TargetQuery[], limits: EraseLimits = {}): Promise<EraseReport> {
    const deletedByTarget: Record<string, number> = {};
    let deleted = 0;
    let remaining = 0;
    let unanswered = 0;
    const report = (finished: boolean, nextTarget: number): EraseReport => ({
      deletedByTarget,
      deleted,
      remaining,
      finished,
      nextTarget,
      ...(unanswered > 0 && { unanswered }),
    });
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
      unanswered += result.unanswered;
      if (!result.finished || result.remaining > 0) return report(false, n);
    }
    return report(true, queries.length);
  }

  /**
   * An index is eventually consistent: an item written a moment ago may not show yet, and one
   * deleted may still show. So passes repeat, each after a settle delay, until one finds nothing.
   */
  async #eraseThroughIndex(query: TargetQuery, limits: EraseLimits): Promise<PassResult> {
    const seen = new Set<string>();
    const total: PassResult = { found: 0, deleted: 0, remaining: 0, finished: true, unanswered: 0 };
    for (let settled = false; ; settled = true) {
      const pass = await this.#pass(query, limits, seen);
      total.found += pass.found;
      total.deleted += pass.deleted;
      total.remaining += pass.remaining;
      total.unanswered += pass.unanswered;
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
      const { written, remaining, finished, unanswered } = await this.#writeBatched(query.target.table, deletions(), limits);
      return { found, deleted: written - repeats, remaining, finished, unanswered };
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
   * Streams the requests page by page and writes them in batches of 25, as fast as a pacer lets
   * them go (see write-pacer.ts): at first only the requests in flight are limited; once DynamoDB
   * refuses something, an item rate measured from what the partition admitted (or this erasure's
   * share of what the table admitted to all it runs there at once) paces them too.
   * What DynamoDB leaves unprocessed (or refuses as throttled) is sent again after a full-jitter
   * backoff, through the same pacer: a hot partition is followed, not fought. Every request has
   * settled before it returns.
   */
  async #writeBatched(
    tableName: string,
    pages: AsyncIterable<readonly WriteRequest[]> | Iterable<readonly WriteRequest[]>,
    { deadline = Number.POSITIVE_INFINITY, signal }: EraseLimits,
  ): Promise<WriteOutcome> {
    const result: WriteOutcome = { written: 0, remaining: 0, finished: true, unanswered: 0 };
    let failure: unknown;
    const pacer = new WritePacer({ ...this.#pacing, maxInFlight: this.#concurrency }, undefined, this.#throughputOf(tableName));
    const inFlight = new Set<Promise<void>>();
    const waiting = new Set<Promise<void>>();
    const stopped = () => failure !== undefined || !result.finished;
    const outOfTime = () => Date.now() >= deadline || signal?.aborted === true;

    /** Until the pacer lets one more request go: false when the deadline, the signal or a failure comes first. */
    const admitted = async (): Promise<boolean> => {
      for (;;) {
        if (failure !== undefined) return false;
        if (outOfTime()) {
          result.finished = false;
          return false;
        }
        const wait = pacer.wait();
        if (wait.for === 'nothing') return true;
        if (wait.for === 'slot') await Promise.race(inFlight);
        else if (Date.now() + wait.ms >= deadline) {
          // The rate will not allow it before the deadline: left for the next run, as a retry would be.
          result.finished = false;
          return false;
        } else await sleep(wait.ms, signal);
      }
    };

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
      const retry: Promise<void> = sleep(delay, signal)
        .then(() => send(requests, attempt))
        .finally(() => waiting.delete(retry));
      waiting.add(retry);
    };

    const send = async (requests: WriteRequest[], attempt: number) => {
      // Nothing awaits between the pacer's yes and the request going out: no other sender can take the same room.
      if (!(await admitted())) return;
      const ticket = pacer.sent(requests.length);
      this.#onBatch?.({
        items: requests.length,
        attempt,
        inFlight: pacer.inFlight,
        inFlightLimit: pacer.inFlightLimit,
        itemsPerSecond: pacer.itemsPerSecond,
      });
      const write: Promise<void> = this.#write(tableName, requests, signal)
        .then(
          ({ unprocessed, throttled }) => {
            const processed = requests.length - unprocessed.length;
            result.written += processed;
            pacer.answered(ticket, { processed, throttled: throttled || unprocessed.length > 0 });
            if (unprocessed.length > 0) retryLater(unprocessed, attempt + 1);
          },
          (error: unknown) => {
            pacer.abandoned(ticket);
            if (signal?.aborted) {
              result.finished = false;
              result.unanswered += requests.length;
            } else failure ??= error;
          },
        )
        .finally(() => inFlight.delete(write));
      inFlight.add(write);
    };

    // Requests carry over from one page to the next so that every batch but the last is full.
    const buffered: WriteRequest[] = [];
    try {
      for await (const page of readAhead(pages, () => !stopped() && Date.now() < deadline)) {
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

  #throughputOf(tableName: string): TableThroughput {
    let table = this.#tables.get(tableName);
    if (!table) this.#tables.set(tableName, (table = new TableThroughput(this.#pacing.windowMs)));
    return table;
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

  /**
   * One BatchWriteItem: what it leaves unprocessed (all of it when DynamoDB refuses the call), and
   * whether anything was refused. A refusal comes back as items unprocessed from inside the SDK's
   * retry loop (see refusalsAsUnprocessed), so the pacer hears of every one and the SDK retries
   * none behind its back; any retry the SDK still makes (a 5xx, a dropped connection) counts as
   * a refusal too: rare, and slowing down is the safe answer to it.
   */
  async #write(tableName: string, requests: WriteRequest[], signal: AbortSignal | undefined): Promise<Written> {
    const command = new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } });
    refusalsAsUnprocessed(command, tableName, requests);
    try {
      const result = await this.client.send(command, { abortSignal: signal });
      const unprocessed = result.UnprocessedItems?.[tableName] ?? [];
      return { unprocessed, throttled: unprocessed.length > 0 || (result.$metadata.attempts ?? 1) > 1 };
    } catch (error) {
      // A refusal that got past refusalsAsUnprocessed: a client whose send runs no middleware (a mock).
      if (isThrottling(error)) return { unprocessed: requests, throttled: true };
      throw error;
    }
  }
}

/** The SDK's handler of a BatchWriteItem at the finalize step, as far as this needs it. */
type BatchWriteHandler = (args: { input: BatchWriteItemCommandInput; request: unknown }) => Promise<{ output: BatchWriteItemCommandOutput; response: unknown }>;

/**
 * Answers a refused BatchWriteItem (ProvisionedThroughputExceededException: nothing in it could be
 * done) as DynamoDB answers one partly done: every write unprocessed. This runs inside the SDK's
 * retry loop, so the SDK neither retries the refusal nor counts it:
 * - its retries would go out unpaced, at the SDK's own backoff, to a partition the pacer is
 *   holding back from, and the pacer would see neither them nor the refusal;
 * - in the `adaptive` retry mode (production's) a refusal also switches on the client's own rate
 *   limiter, which for every call of the container (other tables, the ledger) then starts at
 *   0.7 × the client's measured request rate, or half a request a second when that is not measured
 *   yet: one refusal at the start of an erasure then stalled it for seconds (a 5,000-Todo erasure at
 *   1,000 write units a second took 8.3 s instead of 4.3 s).
 * The pacer, which sees the refusal as items unprocessed, backs off instead, for this partition only.
 */
function refusalsAsUnprocessed(command: BatchWriteItemCommand, tableName: string, requests: WriteRequest[]): void {
  command.middlewareStack.addRelativeTo(
    (next: BatchWriteHandler): BatchWriteHandler => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (!isThrottling(error)) throw error;
        const { $metadata = {}, $response } = error as { $metadata?: BatchWriteItemCommandOutput['$metadata']; $response?: unknown };
        return { response: $response, output: { $metadata, UnprocessedItems: { [tableName]: requests } } };
      }
    },
    { relation: 'after', toMiddleware: 'retryMiddleware', name: 'refusalsAsUnprocessed' },
  );
}

/**
 * The pages of `source`, each next one asked for as soon as the one before is handed out (while
 * `more()` holds), so that its Query runs while this one's batches are written: otherwise the
 * writes stop for a Query's time at every page, which at a partition's rate is about 5 % of an
 * erasure (a 1 MB page of 1 KB Todos takes 200-250 ms to read, and 4-5 s to delete).
 */
async function* readAhead<T>(source: AsyncIterable<T> | Iterable<T>, more: () => boolean): AsyncGenerator<T> {
  const iterator: AsyncIterator<T> | Iterator<T> = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  const ask = () => {
    const page = Promise.resolve(iterator.next());
    // Its failure is met where it is awaited; until then it must not count as unhandled.
    page.catch(() => undefined);
    return page;
  };
  let next: Promise<IteratorResult<T>> | undefined = ask();
  try {
    for (;;) {
      const result: IteratorResult<T> = await next;
      next = undefined;
      if (result.done) return;
      if (more()) next = ask();
      yield result.value;
      next ??= ask();
    }
  } finally {
    // Stopped early: the page under way is waited for (its error is of no interest now), and the source closed.
    if (next) await next.catch(() => undefined);
    await iterator.return?.();
  }
}
