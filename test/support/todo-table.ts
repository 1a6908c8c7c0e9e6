import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTodoTable, type LocalDynamoDb, localClient, startDynalite } from '../../local/dynamodb.ts';
import type { TodoTable } from '../../lambda/todos/dynamodb-todo-store.ts';

export interface TestTodoTable {
  readonly dynamoDb: LocalDynamoDb;
  readonly client: DynamoDBClient;
  readonly table: TodoTable;
  close(): Promise<void>;
}

/** A dynalite on a free port, in memory, with an empty Todo table: the production SDK path, locally. */
export async function startTodoTable(table: Partial<TodoTable> = {}): Promise<TestTodoTable> {
  const dynamoDb = await startDynalite(0, undefined, '127.0.0.1');
  const client = localClient(dynamoDb.endpoint);
  const todoTable: TodoTable = { tableName: 'Todos', userIdAttribute: 'userId', sortKeyAttribute: 'todoId', ...table };
  await ensureTodoTable(client, todoTable);
  return {
    dynamoDb,
    client,
    table: todoTable,
    close: async () => {
      client.destroy();
      await dynamoDb.close();
    },
  };
}
