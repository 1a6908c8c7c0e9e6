/**
 * The deletion floor: only what deleting a partition needs. A keys-only Query over every page
 * and BatchWriteItem requests of 25 keys, at most `concurrency` in flight, keys carried across
 * pages so that every batch but the last is full. What DynamoDB leaves unprocessed is sent again
 * at once. No deadline, no backoff, no adaptive limit: the store's time over this is the price of
 * those.
 */
import {
  BatchWriteItemCommand,
  type DynamoDBClient,
  paginateQuery,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import type { TodoTable } from '../../lambda/todos/dynamodb-todo-store.ts';

const BATCH_SIZE = 25;

async function writeBatch(client: DynamoDBClient, tableName: string, requests: WriteRequest[]): Promise<void> {
  let pending = requests;
  while (pending.length > 0) {
    const result = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
    pending = result.UnprocessedItems?.[tableName] ?? [];
  }
}

/** Deletes every Todo of `userId`; resolves with how many. */
export async function deleteAllAtFloor(client: DynamoDBClient, table: TodoTable, userId: string, concurrency: number): Promise<number> {
  const { tableName, userIdAttribute, sortKeyAttribute } = table;
  const inFlight = new Set<Promise<void>>();
  const send = async (requests: WriteRequest[]) => {
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    const write: Promise<void> = writeBatch(client, tableName, requests).finally(() => inFlight.delete(write));
    inFlight.add(write);
  };
  const pages = paginateQuery(
    { client },
    {
      TableName: tableName,
      KeyConditionExpression: '#user = :user',
      ProjectionExpression: '#user, #todo',
      ExpressionAttributeNames: { '#user': userIdAttribute, '#todo': sortKeyAttribute },
      ExpressionAttributeValues: { ':user': { S: userId } },
      ConsistentRead: true,
    },
  );
  const buffered: WriteRequest[] = [];
  let deleted = 0;
  for await (const page of pages) {
    buffered.push(...(page.Items ?? []).map((Key) => ({ DeleteRequest: { Key } })));
    deleted += page.Items?.length ?? 0;
    while (buffered.length >= BATCH_SIZE) await send(buffered.splice(0, BATCH_SIZE));
  }
  if (buffered.length > 0) await send(buffered.splice(0));
  await Promise.all(inFlight);
  return deleted;
}
