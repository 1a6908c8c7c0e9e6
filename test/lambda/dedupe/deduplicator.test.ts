import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dynamoDbDeduplicator } from '../../../lambda/dedupe/deduplicator.ts';
import type { DeletionReport, TodoStore } from '../../../lambda/todos/store.ts';
import { DynamoDbTodoStore } from '../../../lambda/todos/dynamodb-todo-store.ts';
import { lambdaContext } from '../../../local/lambda-context.ts';
import { ensureDedupeTable } from '../../../local/dynamodb.ts';
import { addTodos, countTodos } from '../../../local/todo-admin.ts';
import { httpApiEvent, passportEvent } from '../../support/events.ts';
import { startTodoTable, type TestTodoTable } from '../../support/todo-table.ts';
import { captureLogs, TEST_KEY, testWebhook } from '../../support/webhook.ts';

let todos: TestTodoTable;
beforeAll(async () => {
  todos = await startTodoTable();
  await ensureDedupeTable(todos.client, 'Idempotency');
});
afterAll(() => todos.close());

/** The real store, counting its calls and optionally slowed down or failing. */
function observedStore(behaviour: { delayMs?: number; failFirst?: boolean } = {}) {
  const real = new DynamoDbTodoStore(todos.client, todos.table);
  const calls: string[] = [];
  const store: TodoStore = {
    async deleteAllOf(userId): Promise<DeletionReport> {
      calls.push(userId);
      if (behaviour.delayMs) await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
      if (behaviour.failFirst && calls.length === 1) throw new Error('DynamoDB outage');
      return real.deleteAllOf(userId);
    },
  };
  return { store, calls };
}

const webhook = (store: TodoStore, { windowSeconds = 3600, tableName = 'Idempotency', logger = undefined as Logger | undefined } = {}) =>
  testWebhook(todos, {
    todos: store,
    dedupe: dynamoDbDeduplicator(todos.client, { tableName, windowSeconds }),
    ...(logger && { logger }),
  });

const deliver = (handler: ReturnType<typeof webhook>, event: Record<string, unknown>) =>
  handler(httpApiEvent({ body: passportEvent(event), headers: { authorization: TEST_KEY } }), lambdaContext('test', 30_000));

describe('dedupe by event id', () => {
  it('answers a redelivery 200 without running the handler again', async () => {
    const { store, calls } = observedStore();
    const handler = webhook(store, { logger: new Logger({ serviceName: 'test', logLevel: 'INFO' }) });
    const event = { type: 'user.delete', id: 'evt-redelivered', user: { id: 'dd-user-1' } };
    await addTodos(todos.client, todos.table, 'dd-user-1', 3);

    expect((await deliver(handler, event)).statusCode).toBe(200);
    await addTodos(todos.client, todos.table, 'dd-user-1', 2);
    let second: Awaited<ReturnType<typeof deliver>> | undefined;
    const logs = await captureLogs(async () => {
      second = await deliver(handler, event);
    });

    expect(second?.statusCode).toBe(200);
    expect(JSON.parse(second!.body)).toEqual({ status: 'handled', type: 'user.delete' });
    expect(calls).toEqual(['dd-user-1']);
    // The handler did not run again: the Todos added since are untouched.
    expect(await countTodos(todos.client, todos.table, 'dd-user-1')).toBe(2);
    expect(logs[0]).toMatchObject({ outcome: 'handled', duplicate: true, eventId: 'evt-redelivered' });
  });

  it('runs two concurrent deliveries of one id once, and answers both 200', async () => {
    const { store, calls } = observedStore({ delayMs: 300 });
    const handler = webhook(store);
    const event = { type: 'user.delete', id: 'evt-concurrent', user: { id: 'dd-user-2' } };
    const answers = await Promise.all([deliver(handler, event), deliver(handler, event)]);
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200]);
    expect(calls).toEqual(['dd-user-2']);
  });

  it('runs again after a failure: a failed run leaves no record', async () => {
    const { store, calls } = observedStore({ failFirst: true });
    const handler = webhook(store);
    await addTodos(todos.client, todos.table, 'dd-user-3', 4);
    const event = { type: 'user.delete', id: 'evt-failed', user: { id: 'dd-user-3' } };
    expect((await deliver(handler, event)).statusCode).toBe(500);
    expect((await deliver(handler, event)).statusCode).toBe(200);
    expect(calls).toEqual(['dd-user-3', 'dd-user-3']);
    expect(await countTodos(todos.client, todos.table, 'dd-user-3')).toBe(0);
  });

  it('runs events without an id every time, and one id under two types once each', async () => {
    const { store, calls } = observedStore();
    const handler = webhook(store);
    await deliver(handler, { type: 'user.delete', user: { id: 'no-id' } });
    await deliver(handler, { type: 'user.delete', user: { id: 'no-id' } });
    await deliver(handler, { type: 'user.delete', id: 'shared-id', user: { id: 'typed' } });
    await deliver(handler, { type: 'user.registration.delete', id: 'shared-id', applicationId: 'other-app', user: { id: 'typed' } });
    expect(calls).toEqual(['no-id', 'no-id', 'typed']);
  });

  it('does not record events it ignores', async () => {
    const { store } = observedStore();
    const handler = webhook(store, { tableName: 'NoSuchTable' });
    // With no table to write to, a recorded event would fail; an ignored one never reaches it.
    expect((await deliver(handler, { type: 'user.login.success', id: 'login-1' })).statusCode).toBe(200);
    expect((await deliver(handler, { type: 'user.delete', id: 'needs-table', user: { id: 'x' } })).statusCode).toBe(500);
  });

  it('forgets an id once the window has passed', async () => {
    const { store, calls } = observedStore();
    const handler = webhook(store, { windowSeconds: 60 });
    const event = { type: 'user.delete', id: 'evt-window', user: { id: 'dd-user-4' } };
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      await deliver(handler, event);
      await deliver(handler, event);
      vi.setSystemTime(Date.now() + 61_000);
      await deliver(handler, event);
    } finally {
      vi.useRealTimers();
    }
    expect(calls).toEqual(['dd-user-4', 'dd-user-4']);
  });
});
