import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_JOB_HOPS } from '../../../lambda/erasure/erasure-service.ts';
import type { ErasureSubject } from '../../../lambda/erasure/jobs.ts';
import { createWebhook } from '../../../lambda/wiring/webhook-wiring.ts';
import { createWorker } from '../../../lambda/wiring/worker-wiring.ts';
import { ensureLedgerTable, ensureTodoTable, localClient } from '../../../local/dynamodb.ts';
import { lambdaContext } from '../../../local/lambda-context.ts';
import { addTodos, countTodos } from '../../../local/todo-admin.ts';
import { resolveTargets } from '../../../lambda/targets/table-schema.ts';
import { readTargetsConfig } from '../../../lambda/targets/target-spec.ts';
import { snapshot, startTestDynamoDb, type TestDynamoDb } from '../../support/dynamo.ts';
import { httpApiEvent, passportEvent } from '../../support/events.ts';
import { type FakeSqs, sqsRecord, startFakeSqs } from '../../support/fake-sqs.ts';

// The AWS path: the webhook and the worker as their Lambda entries wire them, the job queue
// reached through the SQS SDK over its wire protocol.
let dynamo: TestDynamoDb;
let sqs: FakeSqs;
const KEY = 'k';
const shorthand = { tableName: 'Todos', userIdAttribute: 'userId', sortKeyAttribute: undefined };

beforeAll(async () => {
  dynamo = await startTestDynamoDb();
  sqs = await startFakeSqs();
  await ensureTodoTable(dynamo.client, shorthand);
  await ensureLedgerTable(dynamo.client, 'Erasures');
});
afterAll(async () => {
  await dynamo.close();
  await sqs.close();
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
  vi.resetModules();
  sqs.messages.length = 0;
  sqs.deadLetters.length = 0;
  sqs.failWith = undefined;
});

const env = (extra: Record<string, string> = {}) => ({
  AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
  TODO_TABLE_NAME: 'Todos',
  ERASURE_LEDGER_TABLE_NAME: 'Erasures',
  DELETION_QUEUE_URL: sqs.queueUrl,
  DEAD_LETTER_QUEUE_URL: sqs.deadLetterQueueUrl,
  WEBHOOK_API_KEYS: KEY,
  ...extra,
});
const post = (body: string) => httpApiEvent({ body, headers: { authorization: KEY } });
const target = async () => (await resolveTargets(dynamo.client, readTargetsConfig({ TODO_TABLE_NAME: 'Todos' })))[0]!;
const jobs = () => sqs.messages.map((message) => JSON.parse(message.body) as { kind: string; hop: number });

/** A client on which each BatchWriteItem moves the fake clock on by `ms`, and records when it started. */
function timedClient(ms: number, startedAt: number[]) {
  const client = localClient(dynamo.endpoint);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'BatchWriteItemCommand') {
        startedAt.push(Date.now());
        vi.setSystemTime(Date.now() + ms);
      }
      return next(args);
    },
    { step: 'initialize', name: 'fakeWriteTime' },
  );
  return client;
}

describe('the erasure worker behind SQS', () => {
  it('takes over what the webhook left, hands itself on, and finishes, never writing past a run\'s deadline', async () => {
    const todoTarget = await target();
    await addTodos(dynamo.client, todoTarget, { userId: 'queued-user' }, 3_000);
    await addTodos(dynamo.client, todoTarget, { userId: 'kept-user' }, 10);
    const kept = (await snapshot(dynamo.client, 'Todos')).filter((item) => item.includes('"kept-user"'));
    vi.useFakeTimers({ toFake: ['Date'] });
    const writes: number[] = [];
    const client = timedClient(5, writes);
    // A zero budget: the webhook erases nothing inline and leaves it all to the worker.
    const webhook = await createWebhook(env({ DELETE_BUDGET_MS: '0' }), { dynamoDb: client });
    const worker = await createWorker(env(), { dynamoDb: client });
    const response = await webhook(post(passportEvent({ type: 'user.delete.complete', id: 'c-q', user: { id: 'queued-user' } })), lambdaContext('webhook', 10_000));
    expect(JSON.parse(response.body)).toEqual({ status: 'handled', type: 'user.delete.complete' });
    expect(writes).toEqual([]);
    // The look that watches the cycle, queued before anything was deleted, and the rest for the worker.
    expect(jobs()).toEqual([expect.objectContaining({ kind: 'confirm', hop: 0 }), expect.objectContaining({ kind: 'erase', hop: 0 })]);

    // A Lambda with 5.2 s left keeps 5 s back: each run may start writes for 0.2 s, then hands on.
    const runs: { started: number; writes: number[] }[] = [];
    while (sqs.messages.length > 0 && runs.length < 100) {
      const run = { started: Date.now(), writes: [] as number[] };
      const before = writes.length;
      expect(await worker(sqs.takeEvent(), lambdaContext('worker', 5_200))).toEqual({ batchItemFailures: [] });
      run.writes = writes.slice(before);
      runs.push(run);
    }
    expect(await countTodos(dynamo.client, todoTarget, { userId: 'queued-user' })).toBe(0);
    expect((await snapshot(dynamo.client, 'Todos')).filter((item) => item.includes('"kept-user"'))).toEqual(kept);
    // 3,000 Todos at 25 a write and 5 ms each: 0.6 s of writes in 0.2 s slices, so at least three runs.
    expect(runs.filter((run) => run.writes.length > 0).length).toBeGreaterThanOrEqual(3);
    for (const run of runs) for (const at of run.writes) expect(at - run.started).toBeLessThan(200);
  });

  it('reports a message that is not a job as failed, toward the dead-letter queue', async () => {
    const worker = await createWorker(env(), { dynamoDb: dynamo.client });
    const bodies = ['not json', '{}', '{"kind":"erase"}', '{"kind":"erase","subject":{"userId":42}}', 'null'];
    const result = await worker({ Records: bodies.map((body, i) => sqsRecord(`m${i}`, body)) }, lambdaContext('worker', 30_000));
    expect(result.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('sets a chain that hopped too often aside in the dead-letter queue, with why', async () => {
    const worker = await createWorker(env(), { dynamoDb: dynamo.client });
    const subject: ErasureSubject = { userId: 'looping', scope: 'user', tenantId: undefined, values: { userId: 'looping' } };
    const job = { kind: 'erase', subject, cycle: 1, hop: MAX_JOB_HOPS + 1, firstQueuedAt: Date.now() };
    expect(await worker({ Records: [sqsRecord('m1', JSON.stringify(job))] }, lambdaContext('worker', 30_000))).toEqual({ batchItemFailures: [] });
    expect(sqs.deadLetters.map((message) => JSON.parse(message.body))).toEqual([
      { ...job, deadLetterReason: expect.stringContaining(`hopped ${MAX_JOB_HOPS + 1} times`) },
    ]);
    expect(sqs.messages).toEqual([]);

    // Redriven by a person from the dead-letter queue (what it needed fixed, fixed): a chain of its own.
    const redriven = sqs.deadLetters.splice(0).map((message) => sqsRecord('m2', message.body));
    expect(await worker({ Records: redriven }, lambdaContext('worker', 30_000))).toEqual({ batchItemFailures: [] });
    expect(sqs.deadLetters).toEqual([]);
  });

  it('answers 500 when the first look cannot be queued, and keeps the request as unconfirmed', async () => {
    const webhook = await createWebhook(env(), { dynamoDb: dynamo.client });
    sqs.failWith = 500;
    const response = await webhook(post(passportEvent({ type: 'user.delete', id: 'no-queue', user: { id: 'sqs-down' } })), lambdaContext('webhook', 10_000));
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ errors: [{ code: '[handlerFailed]', message: expect.stringContaining('user.delete') }] });
    const { DynamoDbErasureLedger } = await import('../../../lambda/erasure/dynamodb-ledger.ts');
    expect(await new DynamoDbErasureLedger(dynamo.client, 'Erasures').get('sqs-down', 'user')).toMatchObject({
      state: 'unconfirmed',
      reason: 'its first look could not be queued',
    });
  });

  it('without a queue, an erasure that outlasts the Lambda is a 500 with what it deleted, and a retry finishes it', async () => {
    const todoTarget = await target();
    await addTodos(dynamo.client, todoTarget, { userId: 'no-queue-user' }, 2_000);
    vi.useFakeTimers({ toFake: ['Date'] });
    const writes: number[] = [];
    const webhook = await createWebhook(env({ DELETION_QUEUE_URL: '' }), { dynamoDb: timedClient(5, writes) });
    const body = post(passportEvent({ type: 'user.delete.complete', id: 'c-nq', user: { id: 'no-queue-user' } }));
    // 3.2 s left: 1 s kept back to answer, 2 s to let the writes under way settle and record them: 0.2 s of writes.
    const response = await webhook(body, lambdaContext('webhook', 3_200));
    expect(response.statusCode).toBe(500);
    const left = await countTodos(dynamo.client, todoTarget, { userId: 'no-queue-user' });
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(2_000);
    expect(writes.length).toBeLessThanOrEqual(41);
    // FusionAuth may retry a .complete; the erasure resumes where it stopped.
    vi.useRealTimers();
    expect((await webhook(body, lambdaContext('webhook', 20_000))).statusCode).toBe(200);
    expect(await countTodos(dynamo.client, todoTarget, { userId: 'no-queue-user' })).toBe(0);
  });
});

describe('the Lambda entries', () => {
  const stub = (values: Record<string, string>) => {
    for (const [name, value] of Object.entries(values)) vi.stubEnv(name, value);
  };

  it('build at init from the environment', async () => {
    stub(env());
    const { handler } = await import('../../../lambda/worker-lambda.ts');
    expect(await handler({ Records: [] })).toEqual({ batchItemFailures: [] });
    const { handler: webhook } = await import('../../../lambda/webhook-lambda.ts');
    expect((await webhook(post(passportEvent({ type: 'test' })))).statusCode).toBe(200);
  });

  it('refuse to start without what they need, with the reason', async () => {
    stub(env({ DELETION_QUEUE_URL: '' }));
    await expect(import('../../../lambda/worker-lambda.ts')).rejects.toThrow(/DELETION_QUEUE_URL is not set/);
    vi.resetModules();
    stub(env({ TODO_TABLE_NAME: 'NoSuchTable' }));
    await expect(import('../../../lambda/webhook-lambda.ts')).rejects.toThrow('The table NoSuchTable of the deletion targets does not exist.');
  });
});
