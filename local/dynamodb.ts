import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import {
  type CreateTableCommandInput,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { LEDGER_KEYS, OPEN_INDEX } from '../lambda/erasure/ledger-schema.ts';
import type { ShorthandTable } from '../lambda/targets/target-spec.ts';

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

/** The sort key `npm start` gives a Todo table it creates for the shorthand. */
export const DEFAULT_SORT_KEY = 'todoId';

/** Creates the shorthand's Todo table where it is missing; an existing table is left as it is. */
export const ensureTodoTable = (client: DynamoDBClient, table: ShorthandTable): Promise<TableState> =>
  ensureTable(client, {
    TableName: table.tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: table.userIdAttribute, AttributeType: 'S' },
      { AttributeName: table.sortKeyAttribute ?? DEFAULT_SORT_KEY, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: table.userIdAttribute, KeyType: 'HASH' },
      { AttributeName: table.sortKeyAttribute ?? DEFAULT_SORT_KEY, KeyType: 'RANGE' },
    ],
  });

/** The erasure ledger's table, as the construct creates it: user and scope, and the index of open requests. */
export const ensureLedgerTable = (client: DynamoDBClient, tableName: string): Promise<TableState> =>
  ensureTable(client, {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: LEDGER_KEYS.partition, AttributeType: 'S' },
      { AttributeName: LEDGER_KEYS.sort, AttributeType: 'S' },
      { AttributeName: OPEN_INDEX.partition, AttributeType: 'S' },
      { AttributeName: OPEN_INDEX.sort, AttributeType: 'N' },
    ],
    KeySchema: [
      { AttributeName: LEDGER_KEYS.partition, KeyType: 'HASH' },
      { AttributeName: LEDGER_KEYS.sort, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: OPEN_INDEX.name,
        KeySchema: [
          { AttributeName: OPEN_INDEX.partition, KeyType: 'HASH' },
          { AttributeName: OPEN_INDEX.sort, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  });

export type TableState = 'created' | 'existing';

/** Creates the table where it is missing; an existing table is left as it is. */
export async function ensureTable(client: DynamoDBClient, input: CreateTableCommandInput): Promise<TableState> {
  const tableName = input.TableName!;
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return 'existing';
  } catch (error) {
    if (!(error instanceof Error) || error.name !== 'ResourceNotFoundException') throw error;
  }
  try {
    await client.send(new CreateTableCommand(input));
  } catch (error) {
    // Another process created it between our two calls.
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1 }, { TableName: tableName });
  return 'created';
}
