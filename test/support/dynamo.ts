import { type AttributeValue, type CreateTableCommandInput, type DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { ensureLedgerTable, ensureTable, type LocalDynamoDb, localClient, startDynalite } from '../../local/dynamodb.ts';

export interface TestDynamoDb {
  readonly server: LocalDynamoDb;
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  close(): Promise<void>;
}

/** A dynalite on a free port, in memory: the production SDK path, locally. */
export async function startTestDynamoDb(): Promise<TestDynamoDb> {
  const server = await startDynalite(0, undefined, '127.0.0.1');
  const client = localClient(server.endpoint);
  return {
    server,
    endpoint: server.endpoint,
    client,
    close: async () => {
      client.destroy();
      await server.close();
    },
  };
}

type KeyDefinition = readonly [name: string, type: 'S' | 'N' | 'B'];

/** A table of one of the layouts real apps use: its keys, and global secondary indexes by name. */
export async function createTable(
  client: DynamoDBClient,
  tableName: string,
  keys: { readonly partition: KeyDefinition; readonly sort?: KeyDefinition; readonly indexes?: Record<string, { partition: KeyDefinition; sort?: KeyDefinition }> },
): Promise<void> {
  const definitions = new Map<string, string>();
  const schema = (partition: KeyDefinition, sort?: KeyDefinition) => {
    for (const [name, type] of [partition, ...(sort ? [sort] : [])]) definitions.set(name, type);
    return [{ AttributeName: partition[0], KeyType: 'HASH' as const }, ...(sort ? [{ AttributeName: sort[0], KeyType: 'RANGE' as const }] : [])];
  };
  const input: CreateTableCommandInput = {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: schema(keys.partition, keys.sort),
    GlobalSecondaryIndexes: keys.indexes
      ? Object.entries(keys.indexes).map(([IndexName, index]) => ({ IndexName, KeySchema: schema(index.partition, index.sort), Projection: { ProjectionType: 'ALL' } }))
      : undefined,
  };
  input.AttributeDefinitions = [...definitions].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType: AttributeType as 'S' }));
  await ensureTable(client, input);
}

export { ensureLedgerTable };

/** Every item of a table, whole, as sorted JSON: what tests compare before and after. */
export async function snapshot(client: DynamoDBClient, tableName: string): Promise<string[]> {
  const items: string[] = [];
  for await (const page of paginateScan({ client }, { TableName: tableName, ConsistentRead: true })) {
    for (const item of page.Items ?? []) items.push(stableJson(item));
  }
  return items.sort();
}

const stableJson = (item: Record<string, AttributeValue>): string =>
  JSON.stringify(item, (_, value: unknown) =>
    value instanceof Uint8Array
      ? Buffer.from(value).toString('base64')
      : value && typeof value === 'object' && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)))
        : value,
  );
