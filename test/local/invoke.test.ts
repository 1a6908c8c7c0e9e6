import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbErasureLedger } from '../../lambda/erasure/dynamodb-ledger.ts';
import type { ResolvedTarget } from '../../lambda/targets/table-schema.ts';
import { resolveTargets } from '../../lambda/targets/table-schema.ts';
import { readTargetsConfig } from '../../lambda/targets/target-spec.ts';
import { ensureLedgerTable, ensureTodoTable } from '../../local/dynamodb.ts';
import { addTodos, countTodos } from '../../local/todo-admin.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../support/dynamo.ts';
import { fusionAuthTenant, fusionAuthUser, startFakeFusionAuth } from '../support/fake-fusionauth.ts';
import { type FakeSqs, sqsRecord, startFakeSqs } from '../support/fake-sqs.ts';
import { synthesizedAssembly } from '../support/synth.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLE_USER = '00000000-0000-0001-0000-000000000000';
const TENANT = '7d3f2c1e-5b4a-4e6f-9a8b-1c2d3e4f5a6b';

interface Invocation {
  readonly exitCode: number;
  readonly result: any;
  readonly stderr: string;
}

let table: TestDynamoDb;
let target: ResolvedTarget;
let ledger: DynamoDbErasureLedger;
let template: string;
let scratch: string;
let envVars: string;

beforeAll(async () => {
  [table, template] = await Promise.all([
    startTestDynamoDb(),
    synthesizedAssembly().then((outdir) => join(outdir, 'PassportWebhookStack.template.json')),
  ]);
  // The tables env.local.json names, as npm start would create them.
  await ensureTodoTable(table.client, { tableName: 'Todos', userIdAttribute: 'userId', sortKeyAttribute: undefined });
  await ensureLedgerTable(table.client, 'Erasures');
  target = (await resolveTargets(table.client, readTargetsConfig({ TODO_TABLE_NAME: 'Todos' })))[0]!;
  ledger = new DynamoDbErasureLedger(table.client, 'Erasures');
  scratch = mkdtempSync(join(tmpdir(), 'invoke-test-'));
  // env.local.json as shipped, on this test's DynamoDB port. It keeps host.docker.internal, the
  // host as sam local's container sees it, which the script has to read as localhost.
  const { port } = new URL(table.endpoint);
  const shipped = readFileSync(join(ROOT, 'env.local.json'), 'utf8');
  envVars = writeJson('env.json', shipped.replace('host.docker.internal:8000', `host.docker.internal:${port}`));
}, 180_000);

afterAll(async () => {
  await table?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function writeJson(name: string, content: string | object): string {
  const path = join(scratch, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** `npm run invoke -- <event> ...` as a person runs it, against this test's synth and table. */
function invoke(event: string, options: { template?: string; envVars?: string; function?: string } = {}): Promise<Invocation> {
  const args = ['run', '--silent', 'invoke', '--', event];
  args.push('--template', options.template ?? template, '--env-vars', options.envVars ?? envVars);
  if (options.function) args.push('--function', options.function);
  return new Promise((resolve) => {
    execFile('npm', args, { cwd: ROOT }, (error, stdout, stderr) => {
      const exitCode = error ? Number(error.code) : 0;
      resolve({ exitCode, stderr, result: stdout.trim() ? JSON.parse(stdout) : undefined });
    });
  });
}

describe('npm run invoke', () => {
  it('records user.delete, and erases on user.delete.complete, another user\'s Todos kept', async () => {
    await addTodos(table.client, target, { userId: EXAMPLE_USER }, 30);
    await addTodos(table.client, target, { userId: 'someone-else' }, 3);
    const accepted = await invoke('events/user-delete.json');
    expect(accepted.exitCode).toBe(0);
    expect(accepted.result).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'accepted', type: 'user.delete' }),
    });
    expect(await countTodos(table.client, target, { userId: EXAMPLE_USER })).toBe(30);
    expect(await ledger.get(EXAMPLE_USER, 'user')).toMatchObject({ state: 'requested' });

    const { exitCode, result, stderr } = await invoke('events/user-delete-complete.json');
    expect(exitCode).toBe(0);
    expect(result).toMatchObject({ statusCode: 200, body: JSON.stringify({ status: 'handled', type: 'user.delete.complete' }) });
    expect(await countTodos(table.client, target, { userId: EXAMPLE_USER })).toBe(0);
    expect(await countTodos(table.client, target, { userId: 'someone-else' })).toBe(3);
    expect(await ledger.get(EXAMPLE_USER, 'user')).toMatchObject({ state: 'erased', todosDeleted: 30 });
    // The function's log lines and metrics went to stderr, as sam local prints them.
    expect(stderr).toContain('"todosDeleted":30');
    expect(stderr).toContain('"CloudWatchMetrics"');
    expect(stderr).toMatch(/AWS_ENDPOINT_URL_DYNAMODB=http:\/\/localhost:\d+/);
  });

  it('erases the Todos of a user removed from the Todo application that env.local.json names', async () => {
    await addTodos(table.client, target, { userId: EXAMPLE_USER }, 2);
    const { result } = await invoke('events/user-registration-delete.json');
    expect(result).toMatchObject({ statusCode: 200, body: JSON.stringify({ status: 'accepted', type: 'user.registration.delete' }) });
    const complete = await invoke('events/user-registration-delete-complete.json');
    expect(complete.result).toMatchObject({ statusCode: 200, body: JSON.stringify({ status: 'handled', type: 'user.registration.delete.complete' }) });
    expect(await countTodos(table.client, target, { userId: EXAMPLE_USER })).toBe(0);
  });

  it('answers 200 to a type it ignores, and deletes nothing', async () => {
    await addTodos(table.client, target, { userId: EXAMPLE_USER }, 2);
    const { result } = await invoke('events/ignored-type.json');
    expect(result).toMatchObject({ statusCode: 200, body: JSON.stringify({ status: 'ignored', type: 'user.login.success' }) });
    expect(await countTodos(table.client, target, { userId: EXAMPLE_USER })).toBe(2);
  });

  it('answers 401 to a wrong key', async () => {
    const { exitCode, result } = await invoke('events/wrong-key.json');
    expect(exitCode).toBe(0);
    expect(result.statusCode).toBe(401);
  });

  it("exits 1 with Lambda's error shape when the handler crashes; ignores variables the template lacks", async () => {
    const broken = writeJson('broken.json', { WebhookFunction: { TODO_TABLE_NAME: '', UNDECLARED: 'x' } });
    const { exitCode, result, stderr } = await invoke('events/user-delete.json', { envVars: broken });
    expect(exitCode).toBe(1);
    expect(result).toMatchObject({ errorType: 'ConfigurationError', errorMessage: expect.stringContaining('TODO_TABLE_NAME') });
    expect(stderr).toContain('UNDECLARED from');
  });

  it('says to synthesize first when there is no template', async () => {
    const missing = join(scratch, 'cdk.out/PassportWebhookStack.template.json');
    const { exitCode, result, stderr } = await invoke('events/user-delete.json', { template: missing });
    expect(exitCode).toBe(2);
    expect(result).toBeUndefined();
    expect(stderr).toContain('Run `npx cdk synth` first.');
  });
});

describe('npm run invoke -- --function DeletionWorkerFunction', () => {
  const WORKER = 'DeletionWorkerFunction';
  const JOB = 'events/erasure-job.json';
  let sqs: FakeSqs;
  let workerEnvVars: string;
  const envVarsWith = (extra: Record<string, string>) => {
    // env.local.json as shipped, on this test's DynamoDB, with the queues at a fake SQS that
    // records what it is sent.
    const { port } = new URL(table.endpoint);
    const shipped = readFileSync(join(ROOT, 'env.local.json'), 'utf8');
    const envVarsJson = JSON.parse(shipped.replaceAll('host.docker.internal:8000', `host.docker.internal:${port}`));
    Object.assign(envVarsJson[WORKER], { DELETION_QUEUE_URL: sqs.queueUrl, DEAD_LETTER_QUEUE_URL: sqs.deadLetterQueueUrl, ...extra });
    return envVarsJson;
  };
  /** An SQS event of one erasure job, as the event source mapping delivers it. */
  const jobEvent = (name: string, job: object) => writeJson(name, { Records: [sqsRecord(`${name}-message`, JSON.stringify(job))] });

  beforeAll(async () => {
    sqs = await startFakeSqs();
    workerEnvVars = writeJson('worker-env.json', envVarsWith({}));
  });

  afterAll(async () => {
    await sqs?.close();
  });

  beforeEach(() => {
    sqs.messages.splice(0);
  });

  it('reads events/erasure-job.json, a message as SQS delivers it: its MD5 is its body\'s', () => {
    const [record] = JSON.parse(readFileSync(join(ROOT, JOB), 'utf8')).Records;
    expect(record).toMatchObject({ eventSource: 'aws:sqs', body: expect.stringContaining(EXAMPLE_USER) });
    expect(createHash('md5').update(record.body).digest('hex')).toBe(record.md5OfBody);
  });

  it('confirms a requested erasure through FusionAuth\'s API and erases it, under the bundled worker', async () => {
    const userId = '00000000-0000-4000-8000-00000000a001';
    const STILL_HERE = '00000000-0000-4000-8000-00000000a002';
    const fa = await startFakeFusionAuth({
      tenants: [fusionAuthTenant(TENANT, 'Default')],
      users: [fusionAuthUser({ id: STILL_HERE, tenantId: TENANT })],
      apiKeys: [{ key: 'confirm-key', permissions: { endpoints: { '/api/user': ['GET'] } } }],
    });
    try {
      await addTodos(table.client, target, { userId }, 12);
      await addTodos(table.client, target, { userId: STILL_HERE }, 4);
      const subject = (id: string) => ({ userId: id, scope: 'user', tenantId: TENANT, values: { userId: id } });
      // The requests, as the webhook recorded them.
      for (const id of [userId, STILL_HERE]) {
        const { request } = await import('../../lambda/erasure/ledger.ts');
        await ledger.update(id, 'user', (current) => request(current, { userId: id, scope: 'user', tenantId: TENANT }, { id: `e-${id}`, type: 'user.delete', digest: 'd', at: Date.now() }, Date.now()));
      }
      const withApi = writeJson('worker-api-env.json', envVarsWith({ FUSIONAUTH_URL: fa.url, FUSIONAUTH_API_KEY: 'confirm-key' }));
      const look = (id: string) => ({ kind: 'confirm', subject: subject(id), cycle: 1, attempt: 0, hop: 0, firstQueuedAt: Date.now() });

      const gone = await invoke(jobEvent('confirm-gone.json', look(userId)), { function: WORKER, envVars: withApi });
      expect(gone.result).toEqual({ batchItemFailures: [] });
      expect(await countTodos(table.client, target, { userId })).toBe(0);
      expect(await ledger.get(userId, 'user')).toMatchObject({ state: 'erased', confirmedBy: 'api', todosDeleted: 12 });

      const present = await invoke(jobEvent('confirm-present.json', look(STILL_HERE)), { function: WORKER, envVars: withApi });
      expect(present.result).toEqual({ batchItemFailures: [] });
      expect(await countTodos(table.client, target, { userId: STILL_HERE })).toBe(4);
      expect(await ledger.get(STILL_HERE, 'user')).toMatchObject({ state: 'requested', checks: 1, lastCheck: 'user exists' });
      // It looks again later: a follow-up on the queue.
      expect(sqs.messages.map(({ body }) => JSON.parse(body))).toEqual([expect.objectContaining({ kind: 'confirm', attempt: 1, hop: 1 })]);
      expect(fa.requests.map(({ path, status }) => [path, status])).toEqual([
        [`/api/user/${userId}`, 404],
        [`/api/user/${STILL_HERE}`, 200],
      ]);
    } finally {
      await fa.close();
    }
  });

  it("finishes the job of events/erasure-job.json: the user's Todos gone, nothing queued, nothing failed", async () => {
    await addTodos(table.client, target, { userId: EXAMPLE_USER }, 40);
    await addTodos(table.client, target, { userId: 'another-user' }, 3);
    const { confirm } = await import('../../lambda/erasure/ledger.ts');
    await ledger.update(EXAMPLE_USER, 'user', (current) => confirm(current, { userId: EXAMPLE_USER, scope: 'user', tenantId: undefined }, 'complete-event', Date.now()));
    const cycle = (await ledger.get(EXAMPLE_USER, 'user'))!.cycle;
    const job = JSON.parse(readFileSync(join(ROOT, JOB), 'utf8'));
    job.Records[0].body = JSON.stringify({ ...JSON.parse(job.Records[0].body), cycle });
    const { exitCode, result, stderr } = await invoke(writeJson('erase-job.json', job), { function: WORKER, envVars: workerEnvVars });
    expect(exitCode).toBe(0);
    expect(result).toEqual({ batchItemFailures: [] });
    expect(await countTodos(table.client, target, { userId: EXAMPLE_USER })).toBe(0);
    expect(await countTodos(table.client, target, { userId: 'another-user' })).toBe(3);
    expect(sqs.messages).toEqual([]);
    expect(stderr).toContain('"message":"erasure finished"');
    expect(stderr).toContain(`invoke: ${WORKER}:`);
  });

  it('reports a job it cannot read as a batch item failure, for SQS to retry and dead-letter', async () => {
    const job = JSON.parse(readFileSync(join(ROOT, JOB), 'utf8'));
    job.Records[0].body = '{"kind":"erase","subject":{"userId":" padded "}}';
    const { exitCode, result } = await invoke(writeJson('bad-job.json', job), { function: WORKER, envVars: workerEnvVars });
    expect(exitCode).toBe(0);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: job.Records[0].messageId }] });
    expect(sqs.messages).toEqual([]);
  });
});
