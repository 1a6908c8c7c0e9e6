import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  BatchWriteItemCommand,
  type BatchWriteItemCommandInput,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dynamoDbDeduplicator } from '../../../lambda/dedupe/deduplicator.ts';
import { DynamoDbTodoStore } from '../../../lambda/todos/dynamodb-todo-store.ts';
import { ensureDedupeTable } from '../../../local/dynamodb.ts';
import { lambdaContext } from '../../../local/lambda-context.ts';
import { addTodos, countTodos, scanKeys } from '../../../local/todo-admin.ts';
import { httpApiEvent, passportEvent } from '../../support/events.ts';
import { startTodoTable, type TestTodoTable } from '../../support/todo-table.ts';
import { captureLogs, TEST_KEY, testWebhook } from '../../support/webhook.ts';

// Faults no local server produces, injected with aws-sdk-client-mock on one client; every call
// not faulted passes through to dynalite, so the table's state stays real.
let todos: TestTodoTable;
let faulty: DynamoDBClient;
let mock: ReturnType<typeof mockClient>;
/** A fresh user with 60 Todos for each test. */
let userId: string;
const FAST_RETRY = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5 };

const realWrite = (input: BatchWriteItemCommandInput) => todos.client.send(new BatchWriteItemCommand(input));
const realQuery = (input: QueryCommandInput) => todos.client.send(new QueryCommand(input));

const throttled = () =>
  new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds the allowed throughput.', $metadata: {} });

/** Writes all but the last `keep` requests of each batch, and hands those back as unprocessed. */
const partialWrite = (keep: number) => async (input: BatchWriteItemCommandInput) => {
  const [table, requests] = Object.entries(input.RequestItems ?? {})[0]!;
  const written = requests.slice(0, Math.max(0, requests.length - keep));
  if (written.length > 0) await realWrite({ RequestItems: { [table]: written } });
  const unprocessed = requests.slice(written.length);
  return { UnprocessedItems: unprocessed.length ? { [table]: unprocessed } : {} };
};

const deleteUser = async () => {
  const handler = testWebhook(todos, {
    todos: new DynamoDbTodoStore(faulty, todos.table, { retry: FAST_RETRY }),
    logger: new Logger({ serviceName: 'test', logLevel: 'INFO' }),
  });
  let response: Awaited<ReturnType<typeof handler>> | undefined;
  const logs = await captureLogs(async () => {
    response = await handler(
      httpApiEvent({ body: passportEvent({ type: 'user.delete', user: { id: userId } }), headers: { authorization: TEST_KEY } }),
    );
  });
  return { response: response!, log: logs[0]! };
};

beforeAll(async () => {
  todos = await startTodoTable();
  await ensureDedupeTable(todos.client, 'Idempotency');
  faulty = new DynamoDBClient({ endpoint: todos.dynamoDb.endpoint });
  mock = mockClient(faulty);
});
afterAll(async () => {
  mock.restore();
  await todos.close();
});

beforeEach(async () => {
  mock.reset();
  mock.on(QueryCommand).callsFake(realQuery);
  mock.on(BatchWriteItemCommand).callsFake(realWrite);
  userId = randomUUID();
  await addTodos(todos.client, todos.table, userId, 60);
  await addTodos(todos.client, todos.table, 'bob', 10);
});

describe('faults while deleting', () => {
  it('backs off throttling until it clears, then answers 200', async () => {
    mock.on(BatchWriteItemCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).callsFake(realWrite);
    const { response } = await deleteUser();
    expect(response.statusCode).toBe(200);
    expect(await countTodos(todos.client, todos.table, userId)).toBe(0);
  });

  it('retries UnprocessedItems until they clear, then answers 200', async () => {
    mock.on(BatchWriteItemCommand).callsFakeOnce(partialWrite(10)).callsFakeOnce(partialWrite(5)).callsFake(realWrite);
    const { response, log } = await deleteUser();
    expect(response.statusCode).toBe(200);
    expect(log).toMatchObject({ outcome: 'handled', todosDeleted: 60 });
    expect(await countTodos(todos.client, todos.table, userId)).toBe(0);
  });

  it('answers 500 and logs how many remain when UnprocessedItems never clear', async () => {
    const before = await scanKeys(todos.client, todos.table);
    mock.on(BatchWriteItemCommand).callsFake(partialWrite(1));
    const { response, log } = await deleteUser();
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({
      errors: [{ code: '[handlerFailed]', message: 'The webhook failed to handle the user.delete event; see its logs.' }],
    });
    // 60 Todos in 3 batches, each leaving 1 behind however often it is retried.
    expect(log).toMatchObject({ level: 'ERROR', outcome: 'failed', status: 500, error: { remaining: 3 } });
    expect(await countTodos(todos.client, todos.table, userId)).toBe(3);
    expect((await scanKeys(todos.client, todos.table)).filter((k) => k.startsWith('bob/'))).toEqual(
      before.filter((k) => k.startsWith('bob/')),
    );
  });

  it('finishes on a partition that throttles more than two writes at once', async () => {
    let writing = 0;
    let throttledAnswers = 0;
    mock.on(BatchWriteItemCommand).callsFake(async (input: BatchWriteItemCommandInput) => {
      writing += 1;
      try {
        await new Promise((resolve) => setTimeout(resolve, 2));
        if (writing > 2) {
          throttledAnswers += 1;
          return { UnprocessedItems: input.RequestItems };
        }
        return await realWrite(input);
      } finally {
        writing -= 1;
      }
    });
    await addTodos(todos.client, todos.table, userId, 240);
    const { response, log } = await deleteUser();
    expect(response.statusCode).toBe(200);
    expect(log).toMatchObject({ outcome: 'handled', todosDeleted: 300 });
    expect(throttledAnswers).toBeGreaterThan(0);
    expect(await countTodos(todos.client, todos.table, userId)).toBe(0);
  });

  it('answers 500 when throttling never clears', async () => {
    mock.on(BatchWriteItemCommand).rejects(throttled());
    const { response, log } = await deleteUser();
    expect(response.statusCode).toBe(500);
    expect(log).toMatchObject({ outcome: 'failed', error: { remaining: 60 } });
  });

  it('answers 500 when a later Query page fails, after the writes under way settle', async () => {
    let pages = 0;
    mock.on(QueryCommand).callsFake(async (input: QueryCommandInput) => {
      pages += 1;
      if (pages === 1) return { ...(await realQuery({ ...input, Limit: 30 })) };
      throw Object.assign(new Error('We currently do not have sufficient capacity.'), { name: 'InternalServerError' });
    });
    const { response, log } = await deleteUser();
    expect(response.statusCode).toBe(500);
    expect(log).toMatchObject({ outcome: 'failed', error: { name: 'InternalServerError' } });
    // The first page's full batch of 25 was under way and completed; the rest wait for a redelivery.
    expect(await countTodos(todos.client, todos.table, userId)).toBe(35);

    mock.on(QueryCommand).callsFake(realQuery);
    expect((await deleteUser()).response.statusCode).toBe(200);
    expect(await countTodos(todos.client, todos.table, userId)).toBe(0);
  });

  it('answers 500 when the first Query fails', async () => {
    mock.on(QueryCommand).rejects(Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ThrottlingException' }));
    const { response } = await deleteUser();
    expect(response.statusCode).toBe(500);
    expect(await countTodos(todos.client, todos.table, userId)).toBe(60);
  });
});

describe('a redelivery after a fault at any step', () => {
  const internalError = () => Object.assign(new Error('Internal server error'), { name: 'InternalServerError' });
  const faults: [string, () => void][] = [
    ['the first Query page fails', () => mock.on(QueryCommand).rejects(internalError())],
    [
      'a later Query page fails',
      () => {
        let pages = 0;
        mock.on(QueryCommand).callsFake(async (input: QueryCommandInput) => {
          if (++pages > 1) throw internalError();
          return realQuery({ ...input, Limit: 30 });
        });
      },
    ],
    [
      'a batch fails',
      () => {
        let batches = 0;
        mock.on(BatchWriteItemCommand).callsFake(async (input: BatchWriteItemCommandInput) => {
          if (++batches === 2) throw internalError();
          return realWrite(input);
        });
      },
    ],
    ['retries run out', () => mock.on(BatchWriteItemCommand).callsFake(partialWrite(3))],
  ];

  it.each(faults)('%s: 500, then the redelivery finishes with nothing left and nothing extra deleted', async (_, inject) => {
    const before = await scanKeys(todos.client, todos.table);
    const handler = testWebhook(todos, {
      todos: new DynamoDbTodoStore(faulty, todos.table, { retry: FAST_RETRY }),
      dedupe: dynamoDbDeduplicator(todos.client, { tableName: 'Idempotency', windowSeconds: 3600 }),
    });
    const delivery = httpApiEvent({
      body: passportEvent({ type: 'user.delete', id: `redelivered-${userId}`, user: { id: userId } }),
      headers: { authorization: TEST_KEY },
    });

    inject();
    expect((await handler(delivery, lambdaContext('test', 30_000))).statusCode).toBe(500);
    expect(await countTodos(todos.client, todos.table, userId)).toBeGreaterThan(0);

    mock.on(QueryCommand).callsFake(realQuery);
    mock.on(BatchWriteItemCommand).callsFake(realWrite);
    expect((await handler(delivery, lambdaContext('test', 30_000))).statusCode).toBe(200);
    expect(await countTodos(todos.client, todos.table, userId)).toBe(0);
    expect(await scanKeys(todos.client, todos.table)).toEqual(before.filter((key) => !key.startsWith(`${userId}/`)));
  });
});

describe('DynamoDB unreachable', () => {
  it('answers 500', async () => {
    const nowhere = new DynamoDBClient({ endpoint: 'http://127.0.0.1:9', maxAttempts: 2 });
    const handler = testWebhook(todos, { todos: new DynamoDbTodoStore(nowhere, todos.table, { retry: FAST_RETRY }) });
    const response = await handler(
      httpApiEvent({ body: passportEvent({ type: 'user.delete', user: { id: 'alice' } }), headers: { authorization: TEST_KEY } }),
    );
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toMatch(/ECONNREFUSED|at .*\.ts/);
    nowhere.destroy();
  });

  it('is not needed to answer events it ignores', async () => {
    const nowhere = new DynamoDBClient({ endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    const handler = testWebhook(todos, { todos: new DynamoDbTodoStore(nowhere, todos.table) });
    const response = await handler(httpApiEvent({ body: passportEvent({ type: 'user.create' }), headers: { authorization: TEST_KEY } }));
    expect(response.statusCode).toBe(200);
    nowhere.destroy();
  });
});
