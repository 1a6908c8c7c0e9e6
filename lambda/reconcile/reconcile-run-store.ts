import {
  type AttributeValue,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { sleep } from '../targets/backoff.ts';
import type { FieldValues } from '../targets/key-template.ts';
import { RECONCILE_RETENTION_DAYS } from './reconcile-schema.ts';

/** Where a scheduled run stands: scanning its segments, handing its erasures to the worker, or over. */
export type RunState = 'scanning' | 'erasing' | 'done' | 'refused';

export interface RunRecord {
  readonly runId: string;
  readonly state: RunState;
  readonly startedAt: number;
  /** The readable targets' names, in the order page jobs number them. */
  readonly targets: readonly string[];
  readonly segments: number;
  readonly maxMissing: number;
  /** Every page job of the first pages has been sent. */
  readonly pagesSent: boolean;
  /** `target/segment` of each segment whose last page is done. */
  readonly segmentsDone?: ReadonlySet<string>;
  readonly checked?: number;
  readonly missing?: number;
  readonly reason?: string;
  readonly endedAt?: number;
}

/** What one page found: written once, so a redelivered page counts once. */
export interface PageRecord {
  readonly key: string;
  readonly items: number;
  readonly checked: number;
  readonly missing: number;
  readonly notFusionAuthIds: number;
  readonly last: boolean;
  /** Where the segment goes on (encoded), unless `last`. */
  readonly next?: string;
  /** The next page's job has been sent. */
  readonly nextSent: boolean;
}

/** A missing user's items found by one page. */
export interface Candidate {
  readonly userId: string;
  readonly tenantId: string | undefined;
  readonly values: FieldValues;
  readonly target: string;
  readonly todos: number;
}

/** One user, their candidates of every page together. */
export interface CandidateUser {
  readonly userId: string;
  readonly tenantId: string | undefined;
  readonly values: FieldValues;
  readonly todos: Readonly<Record<string, number>>;
}

const LOCK = { runId: 'lock', item: 'lock' };
const RUN = 'run';
const PAGE = 'page#';
const CANDIDATE = 'cand#';

/**
 * A run's state in its own table (see reconcile-schema.ts): the lock that keeps to one run at a
 * time, the run, one item per page and one per missing user and page. Every write is either
 * conditional or idempotent, so a job that SQS hands out twice changes nothing the second time.
 */
export class ReconcileRunStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** Takes the lock for `runId` unless another run holds it and is younger than `maxAgeMs`. */
  async lock(runId: string, now: number, maxAgeMs: number): Promise<{ readonly heldBy: string; readonly mine: boolean }> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall({ ...LOCK, holder: runId, until: now + maxAgeMs, expiresAt: this.#expiresAt(now) }),
          ConditionExpression: 'attribute_not_exists(runId) OR #until < :now',
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: { ':now': { N: String(now) } },
        }),
      );
      return { heldBy: runId, mine: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const held = await this.#get(LOCK.runId, LOCK.item);
      return { heldBy: String(held?.holder ?? ''), mine: false };
    }
  }

  async unlock(runId: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: marshall(LOCK),
          ConditionExpression: 'holder = :run',
          ExpressionAttributeValues: { ':run': { S: runId } },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async createRun(run: RunRecord): Promise<void> {
    const { segmentsDone: _, ...stored } = run;
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall({ ...stored, item: RUN, expiresAt: this.#expiresAt(run.startedAt) }, { removeUndefinedValues: true }),
        ConditionExpression: 'attribute_not_exists(runId)',
      }),
    ).catch((error: unknown) => {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    });
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const item = await this.#get(runId, RUN);
    if (!item) return undefined;
    const { item: _item, expiresAt: _expires, segmentsDone, ...run } = item;
    return { ...(run as unknown as RunRecord), segmentsDone: new Set((segmentsDone as Set<string> | undefined) ?? []) };
  }

  /** Moves the run from `from` to `changes.state`; false when another job moved it first. */
  async transition(runId: string, from: RunState, changes: Partial<Pick<RunRecord, 'state' | 'checked' | 'missing' | 'reason' | 'endedAt' | 'pagesSent'>>): Promise<boolean> {
    const entries = Object.entries(changes).filter(([, value]) => value !== undefined);
    const names = Object.fromEntries([['#state', 'state'], ...entries.map(([name], n) => [`#f${n}`, name])]);
    const values = marshall({ ':from': from, ...Object.fromEntries(entries.map(([, value], n) => [`:v${n}`, value])) });
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ runId, item: RUN }),
          UpdateExpression: `SET ${entries.map((_, n) => `#f${n} = :v${n}`).join(', ')}`,
          ConditionExpression: '#state = :from',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Adds a finished segment (a set: adding it twice is adding it once); how many are done now. */
  async segmentDone(runId: string, segment: string): Promise<number> {
    const { Attributes } = await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall({ runId, item: RUN }),
        UpdateExpression: 'ADD segmentsDone :segment',
        ExpressionAttributeValues: { ':segment': { SS: [segment] } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes?.segmentsDone?.SS?.length ?? 0;
  }

  async getPage(runId: string, key: string): Promise<PageRecord | undefined> {
    const item = await this.#get(runId, `${PAGE}${key}`);
    return item && ({ ...item, key } as unknown as PageRecord);
  }

  /** Records a page once; false when a copy of the job recorded it first. */
  async putPage(runId: string, page: PageRecord, now: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall({ ...page, runId, item: `${PAGE}${page.key}`, expiresAt: this.#expiresAt(now) }, { removeUndefinedValues: true }),
          ConditionExpression: 'attribute_not_exists(runId)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async nextSent(runId: string, key: string): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall({ runId, item: `${PAGE}${key}` }),
        UpdateExpression: 'SET nextSent = :true',
        ExpressionAttributeValues: { ':true': { BOOL: true } },
      }),
    );
  }

  /** Every page's counts, summed: the run's tally. */
  async totals(runId: string): Promise<{ pages: number; items: number; checked: number; missing: number; notFusionAuthIds: number }> {
    const totals = { pages: 0, items: 0, checked: 0, missing: 0, notFusionAuthIds: 0 };
    for await (const item of this.#query(runId, PAGE)) {
      totals.pages += 1;
      totals.items += Number(item.items ?? 0);
      totals.checked += Number(item.checked ?? 0);
      totals.missing += Number(item.missing ?? 0);
      totals.notFusionAuthIds += Number(item.notFusionAuthIds ?? 0);
    }
    return totals;
  }

  /** Writes a page's candidates (written again by a redelivery, the same items). */
  async putCandidates(runId: string, pageKey: string, candidates: readonly Candidate[], now: number): Promise<void> {
    let requests: WriteRequest[] = candidates.map((candidate) => ({
      PutRequest: {
        Item: marshall(
          { ...candidate, runId, item: `${CANDIDATE}${candidate.userId.toLowerCase()}#${candidate.target}#${pageKey}`, expiresAt: this.#expiresAt(now) },
          { removeUndefinedValues: true },
        ),
      },
    }));
    for (let attempt = 0; requests.length > 0; attempt += 1) {
      const batch = requests.splice(0, 25);
      const { UnprocessedItems } = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: batch } }));
      const left = UnprocessedItems?.[this.tableName] ?? [];
      if (left.length > 0) {
        if (attempt > 10) throw new Error(`${left.length} reconcile candidate(s) could not be written`);
        requests = [...left, ...requests];
        await sleep(Math.random() * 50 * 2 ** Math.min(attempt, 6));
      }
    }
  }

  /**
   * The run's missing users after `afterUserId`, in id order, each with their candidates of every
   * page together (a user's items are adjacent: their sort keys start with the id).
   */
  async *candidateUsers(runId: string, afterUserId: string | undefined): AsyncGenerator<CandidateUser> {
    let current: { userId: string; tenantId: string | undefined; values: FieldValues; todos: Record<string, number> } | undefined;
    const start = afterUserId ? `${CANDIDATE}${afterUserId.toLowerCase()}#\uffff` : undefined;
    for await (const item of this.#query(runId, CANDIDATE, start)) {
      const userId = String(item.userId);
      if (current && current.userId.toLowerCase() !== userId.toLowerCase()) {
        yield current;
        current = undefined;
      }
      current ??= { userId, tenantId: item.tenantId as string | undefined, values: {}, todos: {} };
      current.values = { ...(item.values as FieldValues), ...current.values };
      current.tenantId ??= item.tenantId as string | undefined;
      const target = String(item.target);
      current.todos[target] = (current.todos[target] ?? 0) + Number(item.todos ?? 0);
    }
    if (current) yield current;
  }

  async *#query(runId: string, prefix: string, startAfter?: string): AsyncGenerator<Record<string, unknown>> {
    let start: Record<string, AttributeValue> | undefined;
    // After a position: the range from it to the end of the prefix (a sort key past any id's).
    const range: Pick<QueryCommandInput, 'KeyConditionExpression' | 'ExpressionAttributeValues'> = startAfter
      ? { KeyConditionExpression: 'runId = :run AND #item BETWEEN :from AND :to', ExpressionAttributeValues: { ':run': { S: runId }, ':from': { S: startAfter }, ':to': { S: `${prefix}\uffff` } } }
      : { KeyConditionExpression: 'runId = :run AND begins_with(#item, :prefix)', ExpressionAttributeValues: { ':run': { S: runId }, ':prefix': { S: prefix } } };
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          ...range,
          ExpressionAttributeNames: { '#item': 'item' },
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      for (const item of page.Items ?? []) yield unmarshall(item);
      start = page.LastEvaluatedKey;
    } while (start);
  }

  async #get(runId: string, item: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall({ runId, item }), ConsistentRead: true }));
    return Item && unmarshall(Item);
  }

  #expiresAt(now: number): number {
    return Math.floor(now / 1000) + RECONCILE_RETENTION_DAYS * 24 * 3600;
  }
}
