import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { localClient } from '../../../local/dynamodb.ts';
import { lambdaContext } from '../../../local/lambda-context.ts';
import { addTodos, countTodos } from '../../../local/todo-admin.ts';
import { snapshot, startTestDynamoDb, type TestDynamoDb } from '../../support/dynamo.ts';
import { httpApiEvent, passportEvent } from '../../support/events.ts';
import { captureLogs } from '../../support/logs.ts';
import { type LocalWebhook, startLocalWebhook, TEST_KEY } from '../../support/local-webhook.ts';

// Time is what this is about, but a shared CI machine's clock says little: while the delivery
// runs, Date is a fake that every DynamoDB write moves on by WRITE_MS, so "within budget" is
// exact and repeatable.
const WRITE_MS = 5;
const BUDGET_MS = 300;
const BIG_USER = '7f3e2d1c-0b9a-4877-8665-544332211000';
const NEIGHBOUR = '7f3e2d1c-0b9a-4877-8665-544332211001';
const TODOS = 50_000;
/** The worker's write that fails, once, as a Lambda might die midway. */
const FAILING_WRITE = 600;

let dynamo: TestDynamoDb;
let webhook: LocalWebhook;
const writesAt: number[] = [];

beforeAll(async () => {
  dynamo = await startTestDynamoDb();
  const client = localClient(dynamo.endpoint);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'BatchWriteItemCommand') {
        writesAt.push(Date.now());
        vi.setSystemTime(Date.now() + WRITE_MS);
        if (writesAt.length === FAILING_WRITE) throw Object.assign(new Error('the worker died'), { name: 'InternalServerError' });
      }
      return next(args);
    },
    { step: 'initialize', name: 'fakeWriteTime' },
  );
  // The worker gets a 6 s Lambda, so each run hands on after 1 s.
  webhook = await startLocalWebhook({
    dynamo,
    functionsClient: client,
    env: { DELETE_BUDGET_MS: String(BUDGET_MS) },
    queue: { retryDelayMs: 10, workerTimeoutMs: 6_000 },
    logLevel: 'INFO',
  });
  await addTodos(dynamo.client, webhook.targets[0]!, { userId: BIG_USER }, TODOS);
  await addTodos(dynamo.client, webhook.targets[0]!, { userId: NEIGHBOUR }, 500);
}, 120_000);
afterAll(async () => {
  await webhook.close();
  await dynamo.close();
});
afterEach(() => vi.useRealTimers());

describe('a user with 50,000 Todos', () => {
  it('is answered within the budget, and the worker empties the partition through a failure, sparing the neighbour', async () => {
    const neighbour = (await snapshot(dynamo.client, 'Todos')).filter((row) => row.includes(`"${NEIGHBOUR}"`));
    vi.useFakeTimers({ toFake: ['Date'] });
    const started = Date.now();
    let response: Awaited<ReturnType<typeof webhook.handler>> | undefined;
    const logs = await captureLogs(async () => {
      response = await webhook.handler(
        httpApiEvent({ body: passportEvent({ type: 'user.delete.complete', id: 'big', user: { id: BIG_USER } }), headers: { authorization: TEST_KEY } }),
        lambdaContext('webhook', 10_000),
      );
    });
    const answeredAt = Date.now();

    expect(response?.statusCode).toBe(200);
    expect(JSON.parse(response!.body)).toEqual({ status: 'handled', type: 'user.delete.complete' });
    expect(logs.find((line) => line.message === 'delivery')).toMatchObject({ outcome: 'handled', continued: true, todosDeleted: expect.any(Number) });
    // No write started after the budget; the answer came once the writes under way settled.
    expect(Math.max(...writesAt) - started).toBeLessThan(BUDGET_MS);
    expect(answeredAt - started).toBeLessThanOrEqual(BUDGET_MS + 4 * WRITE_MS);
    expect(await countTodos(dynamo.client, webhook.targets[0]!, { userId: BIG_USER })).toBeGreaterThan(TODOS - 2_000);

    // The worker runs on the real clock: its deadlines and the aborts that back them up agree.
    vi.useRealTimers();
    await webhook.settled();

    expect(writesAt.length).toBeGreaterThan(FAILING_WRITE);
    expect(webhook.queue.deadLetters).toEqual([]);
    expect(await countTodos(dynamo.client, webhook.targets[0]!, { userId: BIG_USER })).toBe(0);
    expect((await snapshot(dynamo.client, 'Todos')).filter((row) => row.includes(`"${NEIGHBOUR}"`))).toEqual(neighbour);
    // Every deletion is counted, across the runs and the one that failed.
    expect(await webhook.ledger.get(BIG_USER, 'user')).toMatchObject({ state: 'erased', todosDeleted: TODOS });
  }, 120_000);
});
