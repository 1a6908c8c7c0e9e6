import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  GetItemCommand,
  ListTablesCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
  ThrottlingException,
  UpdateItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureTodoTable } from '../../local/dynamodb.ts';
import {
  DEFAULT_LIMITS,
  itemSize,
  PROVISIONED_THROUGHPUT_EXCEEDED_MESSAGE,
  startThrottledDynamoDb,
  type ThrottledDynamoDb,
  type ThroughputLimits,
} from './throttled-dynamodb.ts';

type Item = Record<string, AttributeValue>;

const TABLE = 'Todos';
/** Small limits, so one batch of 25 runs into them. */
const LIMITS: Partial<ThroughputLimits> = {
  partitionWriteUnitsPerSecond: 10,
  partitionReadUnitsPerSecond: 10,
  partitionBucketSeconds: 1,
  provisioned: undefined,
};

/** The front's clock, in milliseconds: buckets refill only when a test moves it. */
let clock = 0;
let front: ThrottledDynamoDb;
/** Through the front, and no SDK retries: each send is one request the front meters. */
let client: DynamoDBClient;
/** Straight to the backend: seeding and checks, unmetered. */
let admin: DynamoDBClient;
let tableArn: string;

beforeAll(async () => {
  front = await startThrottledDynamoDb({ now: () => clock, limits: LIMITS });
  client = new DynamoDBClient({ endpoint: front.endpoint, maxAttempts: 1 });
  admin = new DynamoDBClient({ endpoint: front.backendEndpoint });
  await ensureTodoTable(admin, { tableName: TABLE, userIdAttribute: 'userId', sortKeyAttribute: 'todoId' });
  tableArn = (await admin.send(new DescribeTableCommand({ TableName: TABLE }))).Table?.TableArn ?? '';
});

afterAll(async () => {
  client?.destroy();
  admin?.destroy();
  await front?.close();
});

beforeEach(() => {
  front.setLimits(LIMITS);
  front.stats.reset();
});

/** A fresh partition key for each test: every partition's buckets start full. */
let users = 0;
const newUser = () => `user-${(users += 1)}`;

const todoId = (n: number) => `t${String(n).padStart(2, '0')}`;

/** A Todo of exactly `bytes`, as DynamoDB sizes items (names and values). */
function todo(userId: string, n: number, bytes: number): Item {
  const keys: Item = { userId: { S: userId }, todoId: { S: todoId(n) } };
  return { ...keys, pad: { S: 'x'.repeat(bytes - itemSize(keys) - 'pad'.length) } };
}

const key = (userId: string, n: number): Item => ({ userId: { S: userId }, todoId: { S: todoId(n) } });

async function seed(userId: string, count: number, bytes = 1024): Promise<void> {
  const items = Array.from({ length: count }, (_, n) => todo(userId, n, bytes));
  for (let start = 0; start < items.length; start += 25) {
    const RequestItems = { [TABLE]: items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } })) };
    await admin.send(new BatchWriteItemCommand({ RequestItems }));
  }
}

/** The todo ids left in a partition, read from the backend. */
async function todoIdsOf(userId: string): Promise<string[]> {
  const page = await admin.send(
    new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: 'userId = :u',
      ExpressionAttributeValues: { ':u': { S: userId } },
      ConsistentRead: true,
    }),
  );
  return (page.Items ?? []).map((item) => item.todoId?.S ?? '');
}

const deletes = (userId: string, from: number, to: number): WriteRequest[] =>
  Array.from({ length: to - from }, (_, i) => ({ DeleteRequest: { Key: key(userId, from + i) } }));

const batchDelete = (requests: WriteRequest[], sender = client) =>
  sender.send(new BatchWriteItemCommand({ RequestItems: { [TABLE]: requests } }));

const unprocessedIds = (requests: WriteRequest[] | undefined) =>
  (requests ?? []).map((request) => request.DeleteRequest?.Key?.todoId?.S);

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => todoId(from + i));

describe('item sizes', () => {
  it('follow the guide: UTF-8 names and values, numbers by significant digits, list and map overhead', () => {
    expect(itemSize({ name: { S: 'héllo' } })).toBe(4 + 6);
    // 123.4500: five significant digits, 3 bytes, plus 1.
    expect(itemSize({ n: { N: '123.4500' } })).toBe(1 + 4);
    expect(itemSize({ b: { B: Buffer.from('abc').toString('base64') } })).toBe(1 + 3);
    expect(itemSize({ t: { BOOL: true }, z: { NULL: true } })).toBe(2 + 2);
    // 3 for the list, 1 per element.
    expect(itemSize({ l: { L: [{ S: 'ab' }, { N: '7' }] } })).toBe(1 + 3 + (1 + 2) + (1 + 2));
    expect(itemSize({ m: { M: { x: { BOOL: false } } } })).toBe(1 + 3 + (1 + 1 + 1));
    expect(itemSize(todo('u', 0, 2560))).toBe(2560);
  });
});

describe('BatchWriteItem at a hot partition', () => {
  it('does what 10 write units afford of 25 one-KB deletes and returns the other 15, still in the table', async () => {
    const user = newUser();
    await seed(user, 25);

    const result = await batchDelete(deletes(user, 0, 25));

    expect(result.$metadata.httpStatusCode).toBe(200);
    expect(unprocessedIds(result.UnprocessedItems?.[TABLE])).toEqual(range(10, 25));
    expect((await todoIdsOf(user)).sort()).toEqual(range(10, 25));
    expect(front.stats.partition(TABLE, user)).toMatchObject({ writeUnits: 10, itemsWritten: 10, itemsUnprocessed: 15 });
    expect(front.stats.operation('BatchWriteItem')).toEqual({ admitted: 1, refused: 0, partial: 1 });
  });

  it('refuses the whole batch with ProvisionedThroughputExceededException, HTTP 400, when nothing is available', async () => {
    const user = newUser();
    await seed(user, 25);
    await batchDelete(deletes(user, 0, 25));

    const error = await thrown(batchDelete(deletes(user, 10, 25)));

    expect(error).toBeInstanceOf(ProvisionedThroughputExceededException);
    const refused = error as ProvisionedThroughputExceededException;
    expect(refused.name).toBe('ProvisionedThroughputExceededException');
    expect(refused.$metadata.httpStatusCode).toBe(400);
    expect(refused.message).toBe(PROVISIONED_THROUGHPUT_EXCEEDED_MESSAGE);
    expect(refused.ThrottlingReasons).toEqual([{ reason: 'TableWriteKeyRangeThroughputExceeded', resource: tableArn }]);
    expect(await todoIdsOf(user)).toHaveLength(15);
    expect(front.stats.operation('BatchWriteItem')).toEqual({ admitted: 1, refused: 1, partial: 1 });
    expect(front.stats.partition(TABLE, user)).toMatchObject({ itemsWritten: 10, itemsRefused: 15 });
  });

  it('is recognised by the SDK as a throttling error, and its retry succeeds once the partition refills', async () => {
    const user = newUser();
    await seed(user, 20);
    await batchDelete(deletes(user, 0, 10));
    const classified: string[] = [];
    // The SDK's own strategy would wait its throttling backoff; this one moves the front's clock instead.
    const retryStrategy: RetryStrategyV2 = {
      acquireInitialRetryToken: async () => retryToken(0),
      refreshRetryTokenForRetry: async (token, info) => {
        classified.push(info.errorType);
        clock += 1_000;
        return retryToken(token.getRetryCount() + 1);
      },
      recordSuccess: () => {},
    };
    const retrying = new DynamoDBClient({ endpoint: front.endpoint, retryStrategy, maxAttempts: 3 });

    const result = await batchDelete(deletes(user, 10, 20), retrying);
    retrying.destroy();

    expect(classified).toEqual(['THROTTLING']);
    expect(result.$metadata.attempts).toBe(2);
    expect(result.UnprocessedItems?.[TABLE] ?? []).toEqual([]);
    expect(await todoIdsOf(user)).toEqual([]);
  });

  it('answers ThrottlingException instead when told to, as on-demand tables do at a hot key', async () => {
    const other = await startThrottledDynamoDb({
      backend: front.backendEndpoint,
      now: () => clock,
      limits: LIMITS,
      throttlingError: 'ThrottlingException',
    });
    const otherClient = new DynamoDBClient({ endpoint: other.endpoint, maxAttempts: 1 });
    try {
      const user = newUser();
      await seed(user, 20);
      await batchDelete(deletes(user, 0, 10), otherClient);
      const error = await thrown(batchDelete(deletes(user, 10, 20), otherClient));
      expect(error).toBeInstanceOf(ThrottlingException);
      expect((error as ThrottlingException).name).toBe('ThrottlingException');
      expect((error as ThrottlingException).$metadata.httpStatusCode).toBe(400);
      expect((error as ThrottlingException).throttlingReasons).toEqual([
        { reason: 'TableWriteKeyRangeThroughputExceeded', resource: tableArn },
      ]);
    } finally {
      otherClient.destroy();
      await other.close();
    }
  });
});

describe('capacity units', () => {
  const capacityOf = (result: { ConsumedCapacity?: { CapacityUnits?: number } }) => result.ConsumedCapacity?.CapacityUnits;

  it('a delete costs the size of the item it deletes: 3 units for 2.5 KB, 1 for a missing item', async () => {
    const user = newUser();
    await seed(user, 2, 2560);

    const single = await client.send(
      new DeleteItemCommand({ TableName: TABLE, Key: key(user, 0), ReturnConsumedCapacity: 'TOTAL' }),
    );
    const missing = await client.send(
      new DeleteItemCommand({ TableName: TABLE, Key: key(user, 0), ReturnConsumedCapacity: 'TOTAL' }),
    );
    const batched = await client.send(
      new BatchWriteItemCommand({ RequestItems: { [TABLE]: deletes(user, 1, 2) }, ReturnConsumedCapacity: 'TOTAL' }),
    );

    expect(single.ConsumedCapacity).toEqual({ TableName: TABLE, CapacityUnits: 3, WriteCapacityUnits: 3 });
    expect(capacityOf(missing)).toBe(1);
    expect(batched.ConsumedCapacity).toEqual([{ TableName: TABLE, CapacityUnits: 3, WriteCapacityUnits: 3 }]);
    expect(front.stats.partition(TABLE, user)).toMatchObject({ writeUnits: 7, itemsWritten: 3 });
  });

  it('a put costs the larger of the new item and the one it replaces; an update the larger of before and after', async () => {
    const user = newUser();
    const put = (item: Item) => client.send(new PutItemCommand({ TableName: TABLE, Item: item, ReturnConsumedCapacity: 'TOTAL' }));

    expect(capacityOf(await put(todo(user, 0, 2560)))).toBe(3);
    expect(capacityOf(await put(todo(user, 0, 1000)))).toBe(3);
    expect(capacityOf(await put(todo(user, 0, 1000)))).toBe(1);
    const grown = await client.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: key(user, 0),
        UpdateExpression: 'SET #pad = :pad',
        ExpressionAttributeNames: { '#pad': 'pad' },
        ExpressionAttributeValues: { ':pad': { S: 'x'.repeat(2500) } },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );

    expect(capacityOf(grown)).toBe(3);
    expect(front.stats.partition(TABLE, user).writeUnits).toBe(10);
  });

  describe('a Query over ten 1 KB items', () => {
    const queryOf = (userId: string, extra: Partial<QueryCommandInput> = {}) =>
      client.send(
        new QueryCommand({
          TableName: TABLE,
          KeyConditionExpression: '#user = :user',
          ExpressionAttributeNames: { '#user': 'userId' },
          ExpressionAttributeValues: { ':user': { S: userId } },
          ReturnConsumedCapacity: 'TOTAL',
          ...extra,
        }),
      );

    beforeEach(() => front.setLimits({ partitionReadUnitsPerSecond: 100 }));

    it('costs 3 read units consistent (10 KB / 4 KB, rounded up) and 1.5 eventually consistent (the 3 halved)', async () => {
      const user = newUser();
      await seed(user, 10);

      const consistent = await queryOf(user, { ConsistentRead: true });
      const eventual = await queryOf(user);

      expect(consistent.Items).toHaveLength(10);
      expect(consistent.ConsumedCapacity).toEqual({ TableName: TABLE, CapacityUnits: 3, ReadCapacityUnits: 3 });
      expect(capacityOf(eventual)).toBe(1.5);
      expect(front.stats.partition(TABLE, user)).toMatchObject({ readUnits: 4.5, itemsRead: 20 });
    });

    it('costs the same with a keys-only projection, Select COUNT or a filter that drops everything', async () => {
      const user = newUser();
      await seed(user, 10);

      const keysOnly = await queryOf(user, {
        ConsistentRead: true,
        ProjectionExpression: '#user, todoId',
      });
      const counted = await queryOf(user, { ConsistentRead: true, Select: 'COUNT' });
      const filtered = await queryOf(user, {
        ConsistentRead: true,
        // The re-read without the filter must drop #pad, or the backend would reject an unused name.
        FilterExpression: 'attribute_not_exists(#pad)',
        ExpressionAttributeNames: { '#user': 'userId', '#pad': 'pad' },
      });

      expect(keysOnly.Items?.[0]).toEqual(key(user, 0));
      expect([capacityOf(keysOnly), capacityOf(counted), capacityOf(filtered)]).toEqual([3, 3, 3]);
      expect([counted.Count, filtered.Count, filtered.ScannedCount]).toEqual([10, 0, 10]);
    });

    it('costs the minimum on an empty result: 1 consistent, 0.5 eventually consistent', async () => {
      const user = newUser();

      expect(capacityOf(await queryOf(user, { ConsistentRead: true }))).toBe(1);
      expect(capacityOf(await queryOf(user))).toBe(0.5);
    });
  });

  it('GetItem and each key of BatchGetItem are rounded up to 4 KB apiece', async () => {
    const user = newUser();
    await seed(user, 3);

    const batch = await client.send(
      new BatchGetItemCommand({
        RequestItems: { [TABLE]: { Keys: [key(user, 0), key(user, 1), key(user, 2)], ConsistentRead: true } },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    const one = await client.send(new GetItemCommand({ TableName: TABLE, Key: key(user, 0), ReturnConsumedCapacity: 'TOTAL' }));
    const missing = await client.send(
      new GetItemCommand({ TableName: TABLE, Key: key(user, 9), ConsistentRead: true, ReturnConsumedCapacity: 'TOTAL' }),
    );

    expect(batch.Responses?.[TABLE]).toHaveLength(3);
    expect(batch.ConsumedCapacity).toEqual([{ TableName: TABLE, CapacityUnits: 3, ReadCapacityUnits: 3 }]);
    expect(capacityOf(one)).toBe(0.5);
    expect(capacityOf(missing)).toBe(1);
  });
});

describe('buckets', () => {
  const consistentQuery = (userId: string) =>
    client.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'userId = :u',
        ExpressionAttributeValues: { ':u': { S: userId } },
        ConsistentRead: true,
      }),
    );

  it('let a read in while anything is left, charge it afterwards into debt, and refuse the next until refilled', async () => {
    const user = newUser();
    await seed(user, 10);

    for (let i = 0; i < 4; i += 1) await consistentQuery(user);
    const error = await thrown(consistentQuery(user));
    expect(front.available('read', TABLE, user)).toBe(10 - 4 * 3);
    clock += 300;
    await consistentQuery(user);

    expect(error).toBeInstanceOf(ProvisionedThroughputExceededException);
    expect((error as ProvisionedThroughputExceededException).ThrottlingReasons).toEqual([
      { reason: 'TableReadKeyRangeThroughputExceeded', resource: tableArn },
    ]);
    expect(front.stats.operation('Query')).toEqual({ admitted: 5, refused: 1, partial: 0 });
    expect(front.stats.partition(TABLE, user).readUnits).toBe(15);
  });

  it('are per partition, refill with time, and hold one second of the limit', async () => {
    const [first, second] = [newUser(), newUser()];
    await seed(first, 25);
    await seed(second, 25);

    const firstDone = await batchDelete(deletes(first, 0, 25));
    const secondDone = await batchDelete(deletes(second, 0, 25));
    const firstRefused = await thrown(batchDelete(deletes(first, 10, 25)));
    clock += 500;
    const firstHalf = await batchDelete(deletes(first, 10, 25));
    clock += 5_000;
    const secondCapped = await batchDelete(deletes(second, 10, 25));

    expect(unprocessedIds(firstDone.UnprocessedItems?.[TABLE])).toEqual(range(10, 25));
    expect(unprocessedIds(secondDone.UnprocessedItems?.[TABLE])).toEqual(range(10, 25));
    expect(firstRefused).toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(unprocessedIds(firstHalf.UnprocessedItems?.[TABLE])).toEqual(range(15, 25));
    // Five seconds idle refill ten units, not fifty: a partition's bucket holds one second.
    expect(unprocessedIds(secondCapped.UnprocessedItems?.[TABLE])).toEqual(range(20, 25));
    expect(front.stats.partition(TABLE, first)).toMatchObject({ writeUnits: 15, itemsWritten: 15, itemsRefused: 15 });
    expect(front.stats.partition(TABLE, second)).toMatchObject({ writeUnits: 20, itemsWritten: 20 });
    expect(front.stats.total).toMatchObject({ writeUnits: 35, itemsWritten: 35, itemsUnprocessed: 15 + 15 + 10 + 5 });
    expect(front.stats.operation('BatchWriteItem')).toEqual({ admitted: 4, refused: 1, partial: 4 });
  });

  it('let burst capacity carry a provisioned table above its rate, but never a partition above its maximum', async () => {
    front.setLimits({ partitionWriteUnitsPerSecond: 20, provisioned: { writeUnitsPerSecond: 5, readUnitsPerSecond: 5 } });
    const [bursting, unburst] = [newUser(), newUser()];
    await seed(bursting, 25);
    await seed(unburst, 25);

    // 300 s of 5 units are banked; the partition still does only its 20.
    const burst = await batchDelete(deletes(bursting, 0, 25));
    front.setLimits({ provisioned: { writeUnitsPerSecond: 5, readUnitsPerSecond: 5, burstSeconds: 1 } });
    const noBurst = await batchDelete(deletes(unburst, 0, 25));
    const error = await thrown(batchDelete(deletes(unburst, 5, 25)));

    expect(unprocessedIds(burst.UnprocessedItems?.[TABLE])).toEqual(range(20, 25));
    expect(unprocessedIds(noBurst.UnprocessedItems?.[TABLE])).toEqual(range(5, 25));
    expect((error as ProvisionedThroughputExceededException).ThrottlingReasons).toEqual([
      { reason: 'TableWriteProvisionedThroughputExceeded', resource: tableArn },
    ]);
  });

  it('let concurrent batches at one partition spend its units once', async () => {
    const user = newUser();
    await seed(user, 20);

    const [first, second] = await Promise.allSettled([batchDelete(deletes(user, 0, 10)), batchDelete(deletes(user, 10, 20))]);

    const outcomes = [first, second].map((outcome) => outcome.status);
    expect(outcomes.sort()).toEqual(['fulfilled', 'rejected']);
    expect(await todoIdsOf(user)).toHaveLength(10);
    expect(front.stats.partition(TABLE, user)).toMatchObject({ writeUnits: 10, itemsWritten: 10, itemsRefused: 10 });
  });

  it('count in stats until reset() zeroes them', async () => {
    const user = newUser();
    await seed(user, 1);
    await client.send(new DeleteItemCommand({ TableName: TABLE, Key: key(user, 0) }));
    await client.send(new ListTablesCommand({}));
    expect(front.stats.total.writeUnits).toBe(1);
    expect(front.stats.partitions()).toHaveLength(1);
    expect(front.stats.operations).toEqual({
      DeleteItem: { admitted: 1, refused: 0, partial: 0 },
      ListTables: { admitted: 1, refused: 0, partial: 0 },
    });

    front.stats.reset();

    expect(front.stats.total).toEqual({
      writeUnits: 0,
      readUnits: 0,
      itemsWritten: 0,
      itemsUnprocessed: 0,
      itemsRefused: 0,
      itemsRead: 0,
    });
    expect(front.stats.operations).toEqual({});
    expect(front.stats.partitions()).toEqual([]);
  });
});

describe('global secondary indexes and scans', () => {
  const INDEXED = 'Indexed';

  beforeAll(async () => {
    await admin.send(
      new CreateTableCommand({
        TableName: INDEXED,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'id', AttributeType: 'S' },
          { AttributeName: 'owner', AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byOwner',
            KeySchema: [{ AttributeName: 'owner', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    // Four 1 KB items for each of two owners; every item its own table partition.
    for (let n = 0; n < 8; n += 1) {
      const keys: Item = { id: { S: `i${n}` }, owner: { S: n < 4 ? 'o1' : 'o2' } };
      const Item = { ...keys, pad: { S: 'x'.repeat(1024 - itemSize(keys) - 'pad'.length) } };
      await admin.send(new PutItemCommand({ TableName: INDEXED, Item }));
    }
  });

  it('meter a query through a global index on the index partition, apart from the table', async () => {
    const result = await client.send(
      new QueryCommand({
        TableName: INDEXED,
        IndexName: 'byOwner',
        KeyConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': { S: 'o1' } },
        ReturnConsumedCapacity: 'INDEXES',
      }),
    );

    expect(result.Items).toHaveLength(4);
    expect(result.ConsumedCapacity).toEqual({
      TableName: INDEXED,
      CapacityUnits: 0.5,
      ReadCapacityUnits: 0.5,
      GlobalSecondaryIndexes: { byOwner: { CapacityUnits: 0.5, ReadCapacityUnits: 0.5 } },
    });
    expect(front.stats.partition(INDEXED, 'o1', 'byOwner').readUnits).toBe(0.5);
    expect(front.stats.partition(INDEXED, 'o1').readUnits).toBe(0);
  });

  it('share a Scan page among the partitions it read, by bytes', async () => {
    const scan = (input: Partial<ScanCommandInput>) =>
      client.send(new ScanCommand({ TableName: INDEXED, ReturnConsumedCapacity: 'TOTAL', ...input }));
    const table = await scan({ ConsistentRead: true });
    const index = await scan({ IndexName: 'byOwner' });

    // 8 KB: 2 units consistent, an eighth each; through the index 1 unit, half each owner.
    expect([table.ConsumedCapacity?.CapacityUnits, index.ConsumedCapacity?.CapacityUnits]).toEqual([2, 1]);
    expect(front.stats.partition(INDEXED, 'i0').readUnits).toBe(0.25);
    expect(front.stats.partition(INDEXED, 'o2', 'byOwner').readUnits).toBe(0.5);
    expect(front.stats.total.readUnits).toBe(3);
  });
});

describe('passthrough', () => {
  it('relays table management unmetered, and meters a recreated table by its new key', async () => {
    const create = (partitionKey: string) =>
      client.send(
        new CreateTableCommand({
          TableName: 'Other',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: partitionKey, AttributeType: 'S' }],
          KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }],
        }),
      );
    await create('id');
    await client.send(new PutItemCommand({ TableName: 'Other', Item: { id: { S: 'a' } } }));
    await client.send(new DeleteTableCommand({ TableName: 'Other' }));
    await create('code');
    await client.send(new PutItemCommand({ TableName: 'Other', Item: { code: { S: 'b' } } }));
    const described = await client.send(new DescribeTableCommand({ TableName: 'Other' }));
    const listed = await client.send(new ListTablesCommand({}));
    await client.send(new DeleteTableCommand({ TableName: 'Other' }));

    expect(described.Table?.KeySchema).toEqual([{ AttributeName: 'code', KeyType: 'HASH' }]);
    expect(listed.TableNames).toContain('Other');
    expect(front.stats.partition('Other', 'a').itemsWritten).toBe(1);
    expect(front.stats.partition('Other', 'b').itemsWritten).toBe(1);
    expect(front.stats.total).toMatchObject({ writeUnits: 2, readUnits: 0 });
    for (const operation of ['CreateTable', 'DeleteTable', 'DescribeTable', 'ListTables']) {
      expect(front.stats.operation(operation).refused).toBe(0);
    }
    expect(front.stats.operation('CreateTable').admitted).toBe(2);
  });

  it('hands malformed requests to the backend untouched and keeps serving', async () => {
    // Signed-looking, as dynalite wants before it reads a body (it checks no signature).
    const headers = {
      'content-type': 'application/x-amz-json-1.0',
      authorization: 'AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      'x-amz-date': '20240101T000000Z',
    };
    const raw = (operation: string, body: string) =>
      fetch(front.endpoint, {
        method: 'POST',
        headers: { ...headers, 'x-amz-target': `DynamoDB_20120810.${operation}` },
        body,
      }).then(async (response) => ({ status: response.status, body: await response.text() }));
    // Shapes the front cannot meter: each goes on, and the backend's own error comes back.
    const misshapen = [
      ['BatchWriteItem', { RequestItems: { [TABLE]: [{ PutRequest: { Item: { userId: { S: 'a' } } } }] } }],
      ['BatchWriteItem', { RequestItems: { [TABLE]: [{ DeleteRequest: { Key: { userId: { S: 1 } } } }] } }],
      ['BatchGetItem', { RequestItems: { [TABLE]: { Keys: 'all' } } }],
      ['Query', { TableName: TABLE }],
      ['Query', { TableName: TABLE, KeyConditionExpression: 'userId > :u', ExpressionAttributeValues: { ':u': { S: 'a' } } }],
      ['GetItem', { TableName: TABLE, Key: 'x' }],
      ['PutItem', { TableName: [TABLE], Item: {} }],
    ] as const;
    const answers = [];
    for (const [operation, body] of misshapen) answers.push(await raw(operation, JSON.stringify(body)));

    const notJson = await raw('BatchWriteItem', '{"RequestItems": [');
    const unknown = await raw('NoSuchOperation', '{}');
    const health = await fetch(front.endpoint).then((response) => response.status);
    const missingTable = await thrown(
      client.send(new BatchWriteItemCommand({ RequestItems: { Missing: [{ DeleteRequest: { Key: key('x', 0) } }] } })),
    );
    const tooMany = await thrown(batchDelete(deletes(newUser(), 0, 26)));
    const noKey = await thrown(client.send(new DeleteItemCommand({ TableName: TABLE, Key: { userId: { S: 'x' } } })));
    const stillServing = await client.send(new ListTablesCommand({}));

    expect(notJson).toMatchObject({ status: 400 });
    expect(notJson.body).toContain('SerializationException');
    expect(unknown.status).toBe(400);
    expect(unknown.body).toContain('UnknownOperationException');
    expect(health).toBe(200);
    expect(answers.map((answer) => answer.status)).toEqual(misshapen.map(() => 400));
    for (const answer of answers) expect(answer.body).toMatch(/ValidationException|SerializationException/);
    expect(front.stats.total).toMatchObject({ writeUnits: 0, readUnits: 0 });
    expect((missingTable as Error).name).toBe('ResourceNotFoundException');
    expect((tooMany as Error).name).toBe('ValidationException');
    expect((noKey as Error).name).toBe('ValidationException');
    expect(stillServing.TableNames).toContain(TABLE);
  });

  it('close() ends its sockets and its own backend', async () => {
    const own = await startThrottledDynamoDb({ limits: DEFAULT_LIMITS });
    const ownClient = new DynamoDBClient({ endpoint: own.endpoint, maxAttempts: 1 });
    await ownClient.send(new ListTablesCommand({}));

    await own.close();

    await expect(ownClient.send(new ListTablesCommand({}))).rejects.toThrow();
    await expect(fetch(own.backendEndpoint)).rejects.toThrow();
    ownClient.destroy();
  });
});

/** The SDK's retry strategy interface (v2), as DynamoDBClient takes it. */
type RetryStrategyV2 = Extract<NonNullable<DynamoDBClientConfig['retryStrategy']>, { acquireInitialRetryToken: unknown }>;

const retryToken = (count: number) => ({ getRetryCount: () => count, getRetryDelay: () => 0 });

/** What `promise` rejects with; fails when it fulfils. */
async function thrown(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but the promise fulfilled');
}
