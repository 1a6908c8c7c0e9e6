import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type KeyType,
  ResourceInUseException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { TodoTable } from '../lambda/todos/dynamodb-todo-store.ts';

export interface LocalDynamoDb {
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * An in-process DynamoDB (dynalite): in memory, or on disk under `path`. Port 0 picks a free one.
 * Like DynamoDB Local it listens on every interface, so a `sam local` container can reach it.
 */
export async function startDynalite(port: number, path?: string, host?: string): Promise<LocalDynamoDb> {
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  server.listen(port, host);
  await once(server, 'listening');
  const { port: actual } = server.address() as AddressInfo;
  return {
    endpoint: `http://${!host || host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${actual}`,
    close: () => new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/** A client for a local endpoint, with the credentials the handler would use (see useLocalAwsDefaults). */
export const localClient = (endpoint: string): DynamoDBClient => new DynamoDBClient({ endpoint });

/** Creates the Todo table where it is missing; an existing table is left as it is. */
export const ensureTodoTable = (client: DynamoDBClient, table: TodoTable): Promise<TableState> =>
  ensureTable(client, table.tableName, [
    [table.userIdAttribute, 'HASH'],
    [table.sortKeyAttribute, 'RANGE'],
  ]);

/** The table Powertools Idempotency keeps handled event ids in: partition key `id`. */
export const ensureDedupeTable = (client: DynamoDBClient, tableName: string): Promise<TableState> =>
  ensureTable(client, tableName, [['id', 'HASH']]);

type TableState = 'created' | 'existing';

async function ensureTable(client: DynamoDBClient, tableName: string, keys: [string, KeyType][]): Promise<TableState> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return 'existing';
  } catch (error) {
    if (!(error instanceof Error) || error.name !== 'ResourceNotFoundException') throw error;
  }
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: keys.map(([AttributeName]) => ({ AttributeName, AttributeType: 'S' })),
        KeySchema: keys.map(([AttributeName, KeyType]) => ({ AttributeName, KeyType })),
      }),
    );
  } catch (error) {
    // Another process created it between our two calls.
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1 }, { TableName: tableName });
  return 'created';
}
