import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  paginateQuery,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { ErasureScope } from '../targets/target-spec.ts';
import { sleep } from '../targets/backoff.ts';
import { LEDGER_KEYS, OPEN_INDEX } from './ledger-schema.ts';
import { type Change, type ErasureLedger, type ErasureRecord, isUnsettled, type ListedRecords, UNSETTLED_STATES } from './ledger.ts';


/** Writes lost to another writer are decided again on what that writer left; this many times at most. */
const MAX_ATTEMPTS = 8;

interface StoredRecord extends ErasureRecord {
  readonly version: number;
  /** Only while unsettled, so the index holds nothing else. */
  readonly openState?: string;
}

export class DynamoDbErasureLedger implements ErasureLedger {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async get(userId: string, scope: ErasureScope, signal?: AbortSignal): Promise<ErasureRecord | undefined> {
    return strip(await this.#read(userId, scope, signal));
  }

  async update<R>(
    userId: string,
    scope: ErasureScope,
    change: (record: ErasureRecord | undefined) => Change<R>,
    signal?: AbortSignal,
  ): Promise<R> {
    for (let attempt = 1; ; attempt += 1) {
      const stored = await this.#read(userId, scope, signal);
      const { record, result } = change(strip(stored));
      if (!record) return result;
      try {
        await this.#write(record, stored?.version, signal);
        return result;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException) || attempt >= MAX_ATTEMPTS) throw error;
        // Another writer won: a little jitter keeps two from colliding again.
        await sleep(Math.random() * 10 * attempt, signal);
      }
    }
  }

  async list({ state, limit = 100, after }: { state?: ErasureRecord['state']; limit?: number; after?: string }): Promise<ListedRecords> {
    const start = after ? (JSON.parse(Buffer.from(after, 'base64url').toString('utf8')) as Record<string, never>) : undefined;
    const page =
      state && isUnsettled(state)
        ? await this.client.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: OPEN_INDEX.name,
              KeyConditionExpression: '#state = :state',
              ExpressionAttributeNames: { '#state': OPEN_INDEX.partition },
              ExpressionAttributeValues: { ':state': { S: state } },
              Limit: limit,
              ExclusiveStartKey: start,
            }),
          )
        : await this.client.send(
            new ScanCommand({
              TableName: this.tableName,
              Limit: limit,
              ExclusiveStartKey: start,
              ...(state && {
                FilterExpression: '#state = :state',
                ExpressionAttributeNames: { '#state': 'state' },
                ExpressionAttributeValues: { ':state': { S: state } },
              }),
            }),
          );
    const records = (page.Items ?? []).map((item) => strip(unmarshall(item) as StoredRecord)!);
    const next = page.LastEvaluatedKey && Buffer.from(JSON.stringify(page.LastEvaluatedKey)).toString('base64url');
    return { records, ...(next && { next }) };
  }

  async openSummary(): Promise<Record<string, { count: number; oldestRequestedAt: number | undefined }>> {
    const summaries = await Promise.all(
      UNSETTLED_STATES.map(async (state) => {
        const query = {
          TableName: this.tableName,
          IndexName: OPEN_INDEX.name,
          KeyConditionExpression: '#state = :state',
          ExpressionAttributeNames: { '#state': OPEN_INDEX.partition },
          ExpressionAttributeValues: { ':state': { S: state } },
        };
        const [oldest, counted] = await Promise.all([
          this.client.send(new QueryCommand({ ...query, Limit: 1, ScanIndexForward: true })),
          countAll(this.client, query),
        ]);
        const first = oldest.Items?.[0];
        return [state, { count: counted, oldestRequestedAt: first ? Number(first[OPEN_INDEX.sort]?.N) : undefined }] as const;
      }),
    );
    return Object.fromEntries(summaries);
  }

  async #read(userId: string, scope: ErasureScope, signal: AbortSignal | undefined): Promise<StoredRecord | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall({ userId, scope }), ConsistentRead: true }),
      { abortSignal: signal },
    );
    return Item && (unmarshall(Item) as StoredRecord);
  }

  /** Only over the version that was read: a concurrent writer makes this fail, and the change is decided again. */
  async #write(record: ErasureRecord, version: number | undefined, signal: AbortSignal | undefined): Promise<void> {
    const stored: StoredRecord = { ...record, version: (version ?? 0) + 1, ...(isUnsettled(record.state) && { openState: record.state }) };
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall(stored, { removeUndefinedValues: true, convertClassInstanceToMap: false }),
        ConditionExpression: version === undefined ? 'attribute_not_exists(#key)' : '#version = :version',
        ExpressionAttributeNames: version === undefined ? { '#key': LEDGER_KEYS.partition } : { '#version': 'version' },
        ...(version !== undefined && { ExpressionAttributeValues: { ':version': { N: String(version) } } }),
      }),
      { abortSignal: signal },
    );
  }
}

async function countAll(client: DynamoDBClient, query: QueryCommandInput): Promise<number> {
  let count = 0;
  for await (const page of paginateQuery({ client }, { ...query, Select: 'COUNT' })) count += page.Count ?? 0;
  return count;
}

function strip(stored: StoredRecord | undefined): ErasureRecord | undefined {
  if (!stored) return undefined;
  const { version: _version, openState: _openState, ...record } = stored;
  return { ...record, history: record.history ?? [], events: record.events ?? [], deletedByTarget: record.deletedByTarget ?? {} };
}
