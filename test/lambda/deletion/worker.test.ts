import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../../../local/lambda-context.ts';
import { addTodos, countTodos } from '../../../local/todo-admin.ts';
import { httpApiEvent, passportEvent } from '../../support/events.ts';
import { type FakeSqs, sqsRecord, startFakeSqs } from '../../support/fake-sqs.ts';
import { startTodoTable, type TestTodoTable } from '../../support/todo-table.ts';

// The AWS path end to end: the webhook and worker as their Lambda entries wire them, the
// deletion queue reached through the SQS SDK over its wire protocol.
let todos: TestTodoTable;
let sqs: FakeSqs;

beforeAll(async () => {
  todos = await startTodoTable();
  sqs = await startFakeSqs();
});
afterAll(async () => {
  await todos.close();
  await sqs.close();
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

const stubEnv = (env: Record<string, string>) => {
  for (const [name, value] of Object.entries({
    AWS_ENDPOINT_URL_DYNAMODB: todos.dynamoDb.endpoint,
    TODO_TABLE_NAME: 'Todos',
    DELETION_QUEUE_URL: sqs.queueUrl,
    ...env,
  })) {
    vi.stubEnv(name, value);
  }
};
const importWebhook = async () => (await import('../../../lambda/index.ts')).handler;
const importWorker = async () => (await import('../../../lambda/worker.ts')).handler;

describe('the deletion worker behind SQS', () => {
  it('takes over what the webhook queued, hands itself on, and finishes', async () => {
    await addTodos(todos.client, todos.table, 'queued-user', 3_000);
    await addTodos(todos.client, todos.table, 'kept-user', 10);
    // A zero budget: the webhook deletes nothing inline and queues it all.
    stubEnv({ WEBHOOK_API_KEYS: 'k', DELETE_BUDGET_MS: '0' });
    const webhook = await importWebhook();
    const worker = await importWorker();
    const response = await webhook(
      httpApiEvent({ body: passportEvent({ type: 'user.delete', id: 'e-q', user: { id: 'queued-user' } }), headers: { authorization: 'k' } }),
      lambdaContext('webhook', 10_000),
    );
    expect(response.statusCode).toBe(200);
    expect(sqs.messages.map((m) => JSON.parse(m.body))).toEqual([
      { userId: 'queued-user', eventType: 'user.delete', eventId: 'e-q', continuation: 0 },
    ]);
    expect(await countTodos(todos.client, todos.table, 'queued-user')).toBe(3_000);

    // A Lambda with 5.2 s left keeps 5 s back: each run deletes for about 0.2 s, then requeues.
    let runs = 0;
    while (sqs.messages.length > 0 && runs < 100) {
      runs += 1;
      const result = await worker(sqs.takeEvent(), lambdaContext('worker', 5_200));
      expect(result).toEqual({ batchItemFailures: [] });
    }
    expect(await countTodos(todos.client, todos.table, 'queued-user')).toBe(0);
    expect(await countTodos(todos.client, todos.table, 'kept-user')).toBe(10);
    expect(runs).toBeGreaterThanOrEqual(1);
  });

  it('reports a message that is not a job as failed, toward the dead-letter queue', async () => {
    stubEnv({});
    const worker = await importWorker();
    const bodies = ['not json', '{}', '{"userId":""}', '{"userId":42}', 'null'];
    const result = await worker({ Records: bodies.map((body, i) => sqsRecord(`m${i}`, body)) }, lambdaContext('worker', 30_000));
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('needs the queue it hands jobs back to', async () => {
    stubEnv({ DELETION_QUEUE_URL: '' });
    await expect(importWorker()).rejects.toThrow(/DELETION_QUEUE_URL is not set/);
  });
});
