import {
  BatchWriteItemCommand,
  type BatchWriteItemCommandInput,
  DescribeTableCommand,
  type DescribeTableCommandInput,
  DynamoDBClient,
  GetItemCommand,
  type GetItemCommandInput,
  PutItemCommand,
  type PutItemCommandInput,
  ProvisionedThroughputExceededException,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbTodoEraser } from '../../../lambda/targets/dynamodb-todo-eraser.ts';
import { planErasure } from '../../../lambda/targets/erasure-plan.ts';
import { type ResolvedTarget, resolveTargets } from '../../../lambda/targets/table-schema.ts';
import { readTargetsConfig } from '../../../lambda/targets/target-spec.ts';
import { ensureLedgerTable, ensureTodoTable, localClient } from '../../../local/dynamodb.ts';
import { lambdaContext } from '../../../local/lambda-context.ts';
import { addTodos, countTodos } from '../../../local/todo-admin.ts';
import { countCommands } from '../../support/command-counter.ts';
import { snapshot, startTestDynamoDb, type TestDynamoDb } from '../../support/dynamo.ts';
import { httpApiEvent, passportEvent } from '../../support/events.ts';
import { createWebhook } from '../../../lambda/wiring/webhook-wiring.ts';
import { startLocalWebhook, TEST_KEY } from '../../support/local-webhook.ts';

/** The webhook without a queue, as `sam local invoke` runs it with env.local.json. */
const ENV = { TODO_TABLE_NAME: 'Todos', ERASURE_LEDGER_TABLE_NAME: 'Erasures', WEBHOOK_API_KEYS: TEST_KEY };
let dynamo: TestDynamoDb;
let target: ResolvedTarget;
const FAST_RETRY = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5 };
const queries = (userId: string) => planErasure([target], { userId });
const count = (userId: string) => countTodos(dynamo.client, target, { userId });
const owner = (row: string) => (JSON.parse(row) as { userId: { S: string } }).userId.S;

beforeAll(async () => {
  dynamo = await startTestDynamoDb();
  await ensureTodoTable(dynamo.client, { tableName: 'Todos', userIdAttribute: 'userId', sortKeyAttribute: undefined });
  await ensureLedgerTable(dynamo.client, 'Erasures');
  target = (await resolveTargets(dynamo.client, readTargetsConfig({ TODO_TABLE_NAME: 'Todos' })))[0]!;
});
afterAll(() => dynamo.close());

describe('erasing a user with 2,500 Todos of about 1 KB', () => {
  const DELETED = '4f5e7c3a-0d2b-4c8e-9a61-2b7f0e3d5c11';
  const KEPT = ['5a6b7c8d-1e2f-4a3b-8c4d-5e6f7a8b9c0d', `${DELETED}-suffix`, DELETED.toUpperCase()];

  it('empties the user in full batches across Query pages, and spares every other user', async () => {
    await addTodos(dynamo.client, target, { userId: DELETED }, 2500, { sizeBytes: 1024 });
    // Neighbours whose ids share a prefix or differ only in case live in other partitions.
    for (const userId of KEPT) await addTodos(dynamo.client, target, { userId }, 40, { sizeBytes: 1024 });
    const before = await snapshot(dynamo.client, 'Todos');
    const client = localClient(dynamo.endpoint);
    const commands = countCommands(client);

    const report = await new DynamoDbTodoEraser(client).erase(queries(DELETED), {});

    expect(report).toEqual({ deletedByTarget: { Todos: 2500 }, deleted: 2500, remaining: 0, finished: true, nextTarget: 1 });
    expect(await snapshot(dynamo.client, 'Todos')).toEqual(before.filter((row) => owner(row) !== DELETED));
    // 1 MB Query pages of 1 KB items: the erasure had to follow LastEvaluatedKey.
    expect(commands.get('QueryCommand')).toBeGreaterThanOrEqual(3);
    expect(commands.get('BatchWriteItemCommand')).toBe(2500 / 25);
    expect(await new DynamoDbTodoEraser(client).erase(queries(DELETED), {})).toMatchObject({ deleted: 0, finished: true });
    client.destroy();
  });
});

describe('faults while erasing', () => {
  // Faults no local server produces, injected with aws-sdk-client-mock on one client; every call
  // not faulted passes through to dynalite, so the table's state stays real.
  let faulty: DynamoDBClient;
  let mock: ReturnType<typeof mockClient>;
  let userId: string;
  let users = 0;
  const realWrite = (input: BatchWriteItemCommandInput) => dynamo.client.send(new BatchWriteItemCommand(input));
  const realQuery = (input: QueryCommandInput) => dynamo.client.send(new QueryCommand(input));
  const throttled = () => new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds the allowed throughput.', $metadata: {} });
  const internalError = () => Object.assign(new Error('We currently do not have sufficient capacity.'), { name: 'InternalServerError' });
  /** Writes all but the last `keep` requests of each batch, and hands those back as unprocessed. */
  const partialWrite = (keep: number) => async (input: BatchWriteItemCommandInput) => {
    const [table, requests] = Object.entries(input.RequestItems ?? {})[0]!;
    const written = requests.slice(0, Math.max(0, requests.length - keep));
    if (written.length > 0) await realWrite({ RequestItems: { [table]: written } });
    const unprocessed = requests.slice(written.length);
    return { UnprocessedItems: unprocessed.length ? { [table]: unprocessed } : {} };
  };
  const erase = () => new DynamoDbTodoEraser(faulty, { retry: FAST_RETRY }).erase(queries(userId), {});

  beforeAll(() => {
    faulty = new DynamoDBClient({ endpoint: dynamo.endpoint });
    mock = mockClient(faulty);
  });
  afterAll(() => mock.restore());
  beforeEach(async () => {
    mock.reset();
    // The ledger's and the init's calls pass through unfaulted.
    mock.on(DescribeTableCommand).callsFake((input: DescribeTableCommandInput) => dynamo.client.send(new DescribeTableCommand(input)));
    mock.on(GetItemCommand).callsFake((input: GetItemCommandInput) => dynamo.client.send(new GetItemCommand(input)));
    mock.on(PutItemCommand).callsFake((input: PutItemCommandInput) => dynamo.client.send(new PutItemCommand(input)));
    mock.on(QueryCommand).callsFake(realQuery);
    mock.on(BatchWriteItemCommand).callsFake(realWrite);
    users += 1;
    userId = `faulted-${users}`;
    await addTodos(dynamo.client, target, { userId }, 60);
    await addTodos(dynamo.client, target, { userId: `bob-${users}` }, 10);
  });

  it('backs off throttling until it clears', async () => {
    mock.on(BatchWriteItemCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).callsFake(realWrite);
    expect(await erase()).toMatchObject({ deleted: 60, remaining: 0, finished: true });
    expect(await count(userId)).toBe(0);
  });

  it('retries UnprocessedItems until they clear', async () => {
    mock.on(BatchWriteItemCommand).callsFakeOnce(partialWrite(10)).callsFakeOnce(partialWrite(5)).callsFake(realWrite);
    expect(await erase()).toMatchObject({ deleted: 60, remaining: 0, finished: true });
  });

  it('reports how many remain when UnprocessedItems never clear, and touches no one else', async () => {
    const before = await snapshot(dynamo.client, 'Todos');
    mock.on(BatchWriteItemCommand).callsFake(partialWrite(1));
    // 60 Todos in 3 batches, each leaving 1 behind however often it is retried.
    expect(await erase()).toMatchObject({ deleted: 57, remaining: 3, finished: false, nextTarget: 0 });
    expect(await count(userId)).toBe(3);
    expect((await snapshot(dynamo.client, 'Todos')).filter((row) => owner(row) !== userId)).toEqual(before.filter((row) => owner(row) !== userId));
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
    await addTodos(dynamo.client, target, { userId }, 240);
    expect(await erase()).toMatchObject({ deleted: 300, finished: true });
    expect(throttledAnswers).toBeGreaterThan(0);
    expect(await count(userId)).toBe(0);
  });

  it('reports every Todo remaining when throttling never clears', async () => {
    mock.on(BatchWriteItemCommand).rejects(throttled());
    expect(await erase()).toMatchObject({ deleted: 0, remaining: 60, finished: false });
  });

  it('throws when a later Query page fails, once the writes under way have settled', async () => {
    let pages = 0;
    mock.on(QueryCommand).callsFake(async (input: QueryCommandInput) => {
      pages += 1;
      if (pages === 1) return realQuery({ ...input, Limit: 30 });
      throw internalError();
    });
    // The first page's full batch of 25 was under way and completed, and is counted.
    await expect(erase()).rejects.toMatchObject({
      name: 'EraseInterruptedError',
      cause: { name: 'InternalServerError' },
      progress: { deletedByTarget: { Todos: 25 }, deleted: 25, nextTarget: 0 },
    });
    expect(await count(userId)).toBe(35);
  });

  it('throws when the first Query fails, having deleted nothing', async () => {
    mock.on(QueryCommand).rejects(Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ThrottlingException' }));
    await expect(erase()).rejects.toMatchObject({ cause: { name: 'ThrottlingException' }, progress: { deleted: 0 } });
    expect(await count(userId)).toBe(60);
  });

  describe('through the webhook, after a .complete', () => {
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
    ];
    const heal = () => {
      mock.on(QueryCommand).callsFake(realQuery);
      mock.on(BatchWriteItemCommand).callsFake(realWrite);
    };
    const complete = () =>
      httpApiEvent({ body: passportEvent({ type: 'user.delete.complete', id: `complete-${userId}`, user: { id: userId } }), headers: { authorization: TEST_KEY } });

    it.each(faults)('without a queue, %s: 500, then the redelivery finishes with nothing left and nothing extra deleted', async (_, inject) => {
      const noQueue = await createWebhook(ENV, { dynamoDb: faulty });
      const before = await snapshot(dynamo.client, 'Todos');
      inject();
      expect((await noQueue(complete(), lambdaContext('test', 30_000))).statusCode).toBe(500);
      expect(await count(userId)).toBeGreaterThan(0);
      heal();
      expect((await noQueue(complete(), lambdaContext('test', 30_000))).statusCode).toBe(200);
      expect(await snapshot(dynamo.client, 'Todos')).toEqual(before.filter((row) => owner(row) !== userId));
    });

    it.each(faults)('with a queue, %s: 200, and the worker finishes it', async (_, inject) => {
      const webhook = await startLocalWebhook({ dynamo, functionsClient: faulty, queue: { retryDelayMs: 20 } });
      const before = await snapshot(dynamo.client, 'Todos');
      inject();
      const response = await webhook.handler(complete(), lambdaContext('test', 30_000));
      expect(JSON.parse(response.body)).toEqual({ status: 'handled', type: 'user.delete.complete' });
      heal();
      await webhook.settled();
      expect(await snapshot(dynamo.client, 'Todos')).toEqual(before.filter((row) => owner(row) !== userId));
      expect(await webhook.ledger.get(userId, 'user')).toMatchObject({ state: 'erased', todosDeleted: 60 });
      await webhook.close();
    });
  });
});

describe('DynamoDB unreachable', () => {
  it('fails an erasure with a 500 that leaks nothing, and never a delivery it ignores', async () => {
    const nowhere = new DynamoDBClient({ endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    // Init cannot describe the tables: it says so in the log and tries again on the first erasure.
    const handler = await createWebhook(ENV, { dynamoDb: nowhere });
    const post = (type: string) => handler(httpApiEvent({ body: passportEvent({ type, user: { id: 'alice' } }), headers: { authorization: TEST_KEY } }));
    const failed = await post('user.delete.complete');
    expect(failed.statusCode).toBe(500);
    expect(failed.body).not.toMatch(/ECONNREFUSED|at .*\.ts/);
    expect((await post('user.create')).statusCode).toBe(200);
    nowhere.destroy();
  });
});
