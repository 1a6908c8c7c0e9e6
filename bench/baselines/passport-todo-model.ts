/**
 * The `todo.deleteAll(userId)` the original Passport webhook example calls, over DynamoDB, the
 * way one writes it first: read the user's keys, then one DeleteItem per Todo, one after the
 * other. The example's own model was a SQL table (one DELETE … WHERE); DynamoDB has no delete
 * by partition, so this is that call's plain translation.
 *
 * It is the "naive way" of the deletion benchmark and the Todo model of both Passport
 * baselines. Its Query is the store's (keys only, consistent, every page) so that what differs
 * from the store is only how the deletes are sent.
 */
import { DeleteItemCommand, type DynamoDBClient, paginateQuery } from '@aws-sdk/client-dynamodb';
import type { TodoTable } from '../../lambda/todos/dynamodb-todo-store.ts';

export class Todo {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: TodoTable,
  ) {}

  /** Resolves with the number of Todos deleted. */
  async deleteAll(userId: string): Promise<number> {
    const { tableName, userIdAttribute, sortKeyAttribute } = this.table;
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: tableName,
        KeyConditionExpression: '#user = :user',
        ProjectionExpression: '#user, #todo',
        ExpressionAttributeNames: { '#user': userIdAttribute, '#todo': sortKeyAttribute },
        ExpressionAttributeValues: { ':user': { S: userId } },
        ConsistentRead: true,
      },
    );
    let deleted = 0;
    for await (const page of pages) {
      for (const Key of page.Items ?? []) {
        await this.client.send(new DeleteItemCommand({ TableName: tableName, Key }));
        deleted += 1;
      }
    }
    return deleted;
  }
}

/** The table the baselines read from their environment, as the webhook does. */
export const todoTableFromEnv = (env: NodeJS.ProcessEnv): TodoTable => ({
  tableName: env.TODO_TABLE_NAME || 'Todos',
  userIdAttribute: env.TODO_USER_ID_ATTRIBUTE || 'userId',
  sortKeyAttribute: env.TODO_SORT_KEY_ATTRIBUTE || 'todoId',
});
