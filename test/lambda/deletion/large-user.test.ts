import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDeletionWorker } from '../../../lambda/deletion/worker.ts';
import { DynamoDbTodoStore } from '../../../lambda/todos/dynamodb-todo-store.ts';
import { InProcessDeletionQueue } from '../../../local/in-process-queue.ts';
import { lambdaContext } from '../../../local/lambda-context.ts';
import { addTodos, countTodos, scanKeys } from '../../../local/todo-admin.ts';
import { httpApiEvent, passportEvent } from '../../support/events.ts';
import { startTodoTable, type TestTodoTable } from '../../support/todo-table.ts';
import { captureLogs, TEST_KEY, testWebhook } from '../../support/webhook.ts';

// Time is what this is about, but a shared CI machine's clock says little: Date is a fake here
// that every DynamoDB write moves on by WRITE_MS, so "within budget" is exact and repeatable.
const WRITE_MS = 5;
const BUDGET_MS = 300;
const BIG_USER = '7f3e2d1c-0b9a-4877-8665-544332211000';
const NEIGHBOUR = '7f3e2d1c-0b9a-4877-8665-544332211001';
const TODOS = 50_000;

let todos: TestTodoTable;
let neighbourKeys: string[];
const writesAt: number[] = [];

beforeAll(async () => {
  todos = await startTodoTable();
  await addTodos(todos.client, todos.table, BIG_USER, TODOS);
  await addTodos(todos.client, todos.table, NEIGHBOUR, 500);
  neighbourKeys = (await scanKeys(todos.client, todos.table)).filter((key) => key.startsWith(`${NEIGHBOUR}/`));
  todos.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'BatchWriteItemCommand') {
        writesAt.push(Date.now());
        vi.setSystemTime(Date.now() + WRITE_MS);
      }
      return next(args);
    },
    { step: 'initialize', name: 'fakeWriteTime' },
  );
}, 120_000);
afterAll(() => todos.close());
afterEach(() => vi.useRealTimers());

describe('a user with 50,000 Todos', () => {
  it('is answered within the budget, and the worker empties the partition through a failure, sparing the neighbour', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const store = new DynamoDbTodoStore(todos.client, todos.table);
    // The worker gets a 6 s Lambda, so each job hands itself on after 1 s of fake time.
    const queue = new InProcessDeletionQueue({ retryDelayMs: 10, workerTimeoutMs: 6_000 });
    let failures = 0;
    const worker = createDeletionWorker({
      todos: {
        async deleteAllOf(userId, limits) {
          // The third job dies midway, once, as a worker Lambda might.
          if (++failures === 3) throw new Error('worker crashed');
          return store.deleteAllOf(userId, limits);
        },
      },
      queue,
      logger: new Logger({ serviceName: 'worker-test' }),
      metrics: new Metrics({ namespace: 'Test' }),
    });
    queue.attach(worker);
    const webhook = testWebhook(todos, {
      todos: store,
      queue,
      deleteBudgetMs: BUDGET_MS,
      logger: new Logger({ serviceName: 'test', logLevel: 'INFO' }),
    });

    const started = Date.now();
    let response: Awaited<ReturnType<typeof webhook>> | undefined;
    const logs = await captureLogs(async () => {
      response = await webhook(
        httpApiEvent({ body: passportEvent({ type: 'user.delete', id: 'big', user: { id: BIG_USER } }), headers: { authorization: TEST_KEY } }),
        lambdaContext('webhook', 10_000),
      );
    });
    const answeredAt = Date.now();

    expect(response?.statusCode).toBe(200);
    expect(JSON.parse(response!.body)).toEqual({ status: 'handled', type: 'user.delete' });
    expect(logs[0]).toMatchObject({ outcome: 'handled', continued: true, todosDeleted: expect.any(Number) });
    // No write started after the budget; the answer came once the writes under way settled.
    expect(Math.max(...writesAt) - started).toBeLessThan(BUDGET_MS);
    expect(answeredAt - started).toBeLessThanOrEqual(BUDGET_MS + 4 * WRITE_MS);
    const leftAtAnswer = await countTodos(todos.client, todos.table, BIG_USER);
    expect(leftAtAnswer).toBeGreaterThan(TODOS - 2_000);

    await queue.idle();

    expect(failures).toBeGreaterThan(3);
    expect(queue.deadLetters).toEqual([]);
    expect(await countTodos(todos.client, todos.table, BIG_USER)).toBe(0);
    expect((await scanKeys(todos.client, todos.table)).filter((key) => key.startsWith(`${NEIGHBOUR}/`))).toEqual(neighbourKeys);
  }, 120_000);
});
