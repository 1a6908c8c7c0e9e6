import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  paginateQuery,
  paginateScan,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import type { TodoTable } from '../lambda/todos/dynamodb-todo-store.ts';

/** Writes the Todos of the local tools and tests: batches of 25, whatever is unprocessed sent again. */
async function writeAll(client: DynamoDBClient, tableName: string, requests: WriteRequest[]): Promise<void> {
  for (let i = 0; i < requests.length; i += 25) {
    let pending = requests.slice(i, i + 25);
    while (pending.length > 0) {
      const result = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
      pending = result.UnprocessedItems?.[tableName] ?? [];
    }
  }
}

export interface NewTodos {
  /** Pads each Todo's text to about this many bytes, so a Query takes several pages. */
  readonly sizeBytes?: number;
}

export async function addTodos(
  client: DynamoDBClient,
  table: TodoTable,
  userId: string,
  count: number,
  { sizeBytes = 0 }: NewTodos = {},
): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  const padding = 'x'.repeat(Math.max(0, sizeBytes - 100));
  await writeAll(
    client,
    table.tableName,
    ids.map((todoId, n) => ({
      PutRequest: {
        Item: {
          [table.userIdAttribute]: { S: userId },
          [table.sortKeyAttribute]: { S: todoId },
          title: { S: `Todo ${n + 1}${padding && ` ${padding}`}` },
          done: { BOOL: false },
          createdAt: { S: new Date().toISOString() },
        },
      },
    })),
  );
  return ids;
}

const userQuery = (table: TodoTable, userId: string) => ({
  TableName: table.tableName,
  KeyConditionExpression: '#user = :user',
  ExpressionAttributeNames: { '#user': table.userIdAttribute },
  ExpressionAttributeValues: { ':user': { S: userId } },
  ConsistentRead: true,
});

export async function listTodos(
  client: DynamoDBClient,
  table: TodoTable,
  userId: string,
): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  for await (const page of paginateQuery({ client }, userQuery(table, userId))) items.push(...(page.Items ?? []));
  return items;
}

export async function countTodos(client: DynamoDBClient, table: TodoTable, userId: string): Promise<number> {
  let count = 0;
  for await (const page of paginateQuery({ client }, { ...userQuery(table, userId), Select: 'COUNT' })) count += page.Count ?? 0;
  return count;
}

/** Every item's key in the table, as `userId/todoId`: what tests compare before and after. */
export async function scanKeys(client: DynamoDBClient, table: TodoTable): Promise<string[]> {
  const keys: string[] = [];
  const pages = paginateScan(
    { client },
    {
      TableName: table.tableName,
      ProjectionExpression: '#user, #todo',
      ExpressionAttributeNames: { '#user': table.userIdAttribute, '#todo': table.sortKeyAttribute },
      ConsistentRead: true,
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      keys.push(`${item[table.userIdAttribute]?.S}/${item[table.sortKeyAttribute]?.S}`);
    }
  }
  return keys.sort();
}
