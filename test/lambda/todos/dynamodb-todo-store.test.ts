import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbTodoStore } from '../../../lambda/todos/dynamodb-todo-store.ts';
import { addTodos, countTodos, scanKeys } from '../../../local/todo-admin.ts';
import { countCommands } from '../../support/command-counter.ts';
import { httpApiEvent, passportEvent } from '../../support/events.ts';
import { startTodoTable, type TestTodoTable } from '../../support/todo-table.ts';
import { TEST_KEY, testWebhook } from '../../support/webhook.ts';

const DELETED = '4f5e7c3a-0d2b-4c8e-9a61-2b7f0e3d5c11';
const KEPT = ['5a6b7c8d-1e2f-4a3b-8c4d-5e6f7a8b9c0d', `${DELETED}-suffix`, DELETED.toUpperCase()];

describe('deleting a user with 2,500 Todos of about 1 KB', () => {
  let todos: TestTodoTable;
  let commands: Map<string, number>;
  let before: string[];

  beforeAll(async () => {
    todos = await startTodoTable();
    await addTodos(todos.client, todos.table, DELETED, 2500, { sizeBytes: 1024 });
    // Neighbours whose ids share a prefix or differ only in case live in other partitions.
    for (const userId of KEPT) await addTodos(todos.client, todos.table, userId, 40, { sizeBytes: 1024 });
    before = await scanKeys(todos.client, todos.table);
    commands = countCommands(todos.client);
  });
  afterAll(() => todos.close());

  it('empties the user, spares every other user, and answers 200', async () => {
    const handler = testWebhook(todos);
    const body = passportEvent({ type: 'user.delete', id: 'big-delete', user: { id: DELETED } });
    const response = await handler(httpApiEvent({ body, headers: { authorization: TEST_KEY } }));

    expect(response.statusCode).toBe(200);
    expect(await countTodos(todos.client, todos.table, DELETED)).toBe(0);
    const after = await scanKeys(todos.client, todos.table);
    expect(before).toHaveLength(2500 + 3 * 40);
    expect(after).toEqual(before.filter((key) => !key.startsWith(`${DELETED}/`)));
    // 1 MB Query pages of 1 KB items: the deletion had to follow LastEvaluatedKey.
    expect(commands.get('QueryCommand')).toBeGreaterThanOrEqual(3);
    expect(commands.get('BatchWriteItemCommand')).toBe(2500 / 25);
  });

  it('answers a redelivery 200 with nothing left to delete', async () => {
    const store = new DynamoDbTodoStore(todos.client, todos.table);
    expect(await store.deleteAllOf(DELETED)).toEqual({ deleted: 0, remaining: 0, finished: true });
  });
});

describe('a Todo table with other key attribute names', () => {
  it('deletes through the configured attributes', async () => {
    const todos = await startTodoTable({ tableName: 'LegacyTodos', userIdAttribute: 'ownerSub', sortKeyAttribute: 'itemId' });
    try {
      await addTodos(todos.client, todos.table, 'carol', 30);
      await addTodos(todos.client, todos.table, 'dave', 5);
      const store = new DynamoDbTodoStore(todos.client, todos.table);
      expect(await store.deleteAllOf('carol')).toEqual({ deleted: 30, remaining: 0, finished: true });
      expect(await countTodos(todos.client, todos.table, 'carol')).toBe(0);
      expect(await countTodos(todos.client, todos.table, 'dave')).toBe(5);
    } finally {
      await todos.close();
    }
  });
});
