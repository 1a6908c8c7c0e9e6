import { type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { DynamoDbTodoEraser } from '../lambda/targets/dynamodb-todo-eraser.ts';

/**
 * Writes the items of the local tools and tests through the store's own batch writer: batches of
 * 25, several in flight, what DynamoDB leaves unprocessed sent again after a backoff.
 */
export async function writeAll(client: DynamoDBClient, tableName: string, requests: readonly WriteRequest[]): Promise<void> {
  const { remaining } = await new DynamoDbTodoEraser(client).writeBatches(tableName, requests);
  if (remaining > 0) throw new Error(`${remaining} item(s) could not be written after every retry`);
}
