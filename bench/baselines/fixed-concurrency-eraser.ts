/**
 * The goodput baseline: an erasure as it is usually written. The user's keys by Query, deleted by
 * BatchWriteItem with a fixed number of requests in flight (the eraser's own maximum), the SDK's
 * default retries (standard mode, 3 attempts) for refusals, and whatever comes back unprocessed,
 * or refused past those retries, sent again at once until nothing is left.
 */
import { type AttributeValue, BatchWriteItemCommand, type DynamoDBClient, paginateQuery, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { BATCH_SIZE, DEFAULT_CONCURRENCY } from '../../lambda/targets/dynamodb-todo-eraser.ts';

const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException']);

export async function eraseAtFixedConcurrency(client: DynamoDBClient, table: string, userId: string, concurrency = DEFAULT_CONCURRENCY): Promise<void> {
  const deleteBatch = async (keys: Record<string, AttributeValue>[]) => {
    let pending: WriteRequest[] = keys.map((Key) => ({ DeleteRequest: { Key } }));
    while (pending.length > 0) {
      try {
        pending = (await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }))).UnprocessedItems?.[table] ?? [];
      } catch (error) {
        if (!(error instanceof Error && THROTTLING.has(error.name))) throw error;
      }
    }
  };
  const inFlight = new Set<Promise<void>>();
  const pages = paginateQuery(
    { client },
    {
      TableName: table,
      KeyConditionExpression: 'userId = :user',
      ProjectionExpression: 'userId, todoId',
      ExpressionAttributeValues: { ':user': { S: userId } },
      ConsistentRead: true,
    },
  );
  for await (const page of pages) {
    const items = page.Items ?? [];
    for (let start = 0; start < items.length; start += BATCH_SIZE) {
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
      const batch: Promise<void> = deleteBatch(items.slice(start, start + BATCH_SIZE)).finally(() => inFlight.delete(batch));
      inFlight.add(batch);
    }
  }
  await Promise.all(inFlight);
}
