import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTodos, countTodos, scanKeys } from '../../local/todo-admin.ts';
import { examplePayloads, httpApiEvent } from '../support/events.ts';
import { startTodoTable, type TestTodoTable } from '../support/todo-table.ts';
import { captureLogs, TEST_KEY, testWebhook } from '../support/webhook.ts';

// The documentation's examples: user.delete and user.registration.delete (for the application
// the example names) are handled, every other type is answered 200 and ignored.
const EXAMPLE_USER = '00000000-0000-0001-0000-000000000000';
const EXAMPLE_APP = 'fed19281-1584-4db8-8b24-959e2d986904';
const HANDLED = new Set(['user.delete.json', 'user.registration.delete.json']);

let todos: TestTodoTable;
beforeAll(async () => {
  todos = await startTodoTable();
});
afterAll(() => todos.close());

describe.each([...examplePayloads()])('the FusionAuth example %s', (name, payload) => {
  const { type, id } = (JSON.parse(payload) as { event: { type: string; id: string } }).event;
  const status = HANDLED.has(name) ? 'handled' : 'ignored';

  it(`is answered 200 ${status}, with one log line and no personal data in it`, async () => {
    await addTodos(todos.client, todos.table, EXAMPLE_USER, 3);
    await addTodos(todos.client, todos.table, 'bystander', 2);
    const before = await scanKeys(todos.client, todos.table);
    const handler = testWebhook(todos, {
      todoApplicationId: EXAMPLE_APP,
      logger: new Logger({ serviceName: 'passport-webhook', logLevel: 'INFO' }),
    });
    let response: Awaited<ReturnType<typeof handler>> | undefined;
    const lines = await captureLogs(async () => {
      response = await handler(httpApiEvent({ body: payload, headers: { authorization: TEST_KEY } }));
    });

    expect(response?.statusCode).toBe(200);
    expect(JSON.parse(response!.body)).toEqual({ status, type });
    const after = await scanKeys(todos.client, todos.table);
    if (status === 'handled') {
      expect(await countTodos(todos.client, todos.table, EXAMPLE_USER)).toBe(0);
      expect(after).toEqual(before.filter((key) => !key.startsWith(`${EXAMPLE_USER}/`)));
    } else {
      expect(after).toEqual(before);
    }

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'INFO',
      message: 'delivery',
      eventId: id,
      eventType: type,
      outcome: status,
      status: 200,
      durationMs: expect.any(Number),
    });
    if (status === 'handled') expect(lines[0]).toMatchObject({ todosDeleted: expect.any(Number) });
    const logged = JSON.stringify(lines);
    expect(logged).not.toContain(TEST_KEY);
    expect(logged).not.toMatch(/@(fusionauth|inversoft)\.(io|com)/);
    expect(logged).not.toContain('42.42.42.42');
    expect(logged).not.toContain('"user"');
  });
});
