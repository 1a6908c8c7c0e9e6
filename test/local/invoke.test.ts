import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addTodos, countTodos } from '../../local/todo-admin.ts';
import { type FakeSqs, startFakeSqs } from '../support/fake-sqs.ts';
import { synthesizedAssembly } from '../support/synth.ts';
import { startTodoTable, type TestTodoTable } from '../support/todo-table.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLE_USER = '00000000-0000-0001-0000-000000000000';

interface Invocation {
  readonly exitCode: number;
  readonly result: any;
  readonly stderr: string;
}

let table: TestTodoTable;
let template: string;
let scratch: string;
let envVars: string;

beforeAll(async () => {
  [table, template] = await Promise.all([
    startTodoTable(),
    synthesizedAssembly().then((outdir) => join(outdir, 'PassportWebhookStack.template.json')),
  ]);
  scratch = mkdtempSync(join(tmpdir(), 'invoke-test-'));
  // env.local.json as shipped, on this test's DynamoDB port. It keeps host.docker.internal, the
  // host as sam local's container sees it, which the script has to read as localhost.
  const { port } = new URL(table.dynamoDb.endpoint);
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
  it('answers 200 to user.delete, with that user\'s Todos gone and another user\'s kept', async () => {
    await addTodos(table.client, table.table, EXAMPLE_USER, 30);
    await addTodos(table.client, table.table, 'someone-else', 3);
    const { exitCode, result, stderr } = await invoke('events/user-delete.json');
    expect(exitCode).toBe(0);
    expect(result).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'handled', type: 'user.delete' }),
    });
    expect(await countTodos(table.client, table.table, EXAMPLE_USER)).toBe(0);
    expect(await countTodos(table.client, table.table, 'someone-else')).toBe(3);
    // The function's log line and metrics went to stderr, as sam local prints them.
    expect(stderr).toContain('"todosDeleted":30');
    expect(stderr).toContain('"CloudWatchMetrics"');
    expect(stderr).toMatch(/AWS_ENDPOINT_URL_DYNAMODB=http:\/\/localhost:\d+/);
  });

  it('deletes the Todos of a user removed from the Todo application that env.local.json names', async () => {
    await addTodos(table.client, table.table, EXAMPLE_USER, 2);
    const { result } = await invoke('events/user-registration-delete.json');
    expect(result).toMatchObject({
      statusCode: 200,
      body: JSON.stringify({ status: 'handled', type: 'user.registration.delete' }),
    });
    expect(await countTodos(table.client, table.table, EXAMPLE_USER)).toBe(0);
  });

  it('answers 200 to a type it ignores, and deletes nothing', async () => {
    await addTodos(table.client, table.table, EXAMPLE_USER, 2);
    const { result } = await invoke('events/ignored-type.json');
    expect(result).toMatchObject({ statusCode: 200, body: JSON.stringify({ status: 'ignored', type: 'user.login.success' }) });
    expect(await countTodos(table.client, table.table, EXAMPLE_USER)).toBe(2);
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
  const JOB = 'events/deletion-job.json';
  let sqs: FakeSqs;
  let workerEnvVars: string;

  beforeAll(async () => {
    sqs = await startFakeSqs();
    // env.local.json as shipped, on this test's DynamoDB, with the queue the worker hands the
    // rest of a job to at a fake SQS that records what it is sent.
    const { port } = new URL(table.dynamoDb.endpoint);
    const shipped = readFileSync(join(ROOT, 'env.local.json'), 'utf8');
    const envVarsJson = JSON.parse(shipped.replaceAll('host.docker.internal:8000', `host.docker.internal:${port}`));
    envVarsJson[WORKER].DELETION_QUEUE_URL = sqs.queueUrl;
    workerEnvVars = writeJson('worker-env.json', envVarsJson);
  });

  afterAll(async () => {
    await sqs?.close();
  });

  beforeEach(() => {
    sqs.messages.splice(0);
  });

  it('reads events/deletion-job.json, a message as SQS delivers it: its MD5 is its body\'s', () => {
    const [record] = JSON.parse(readFileSync(join(ROOT, JOB), 'utf8')).Records;
    expect(record).toMatchObject({ eventSource: 'aws:sqs', body: expect.stringContaining(EXAMPLE_USER) });
    expect(createHash('md5').update(record.body).digest('hex')).toBe(record.md5OfBody);
  });

  it("finishes the job of events/deletion-job.json: the user's Todos gone, nothing requeued, nothing failed", async () => {
    await addTodos(table.client, table.table, EXAMPLE_USER, 40);
    await addTodos(table.client, table.table, 'another-user', 3);
    const { exitCode, result, stderr } = await invoke(JOB, { function: WORKER, envVars: workerEnvVars });
    expect(exitCode).toBe(0);
    expect(result).toEqual({ batchItemFailures: [] });
    expect(await countTodos(table.client, table.table, EXAMPLE_USER)).toBe(0);
    expect(await countTodos(table.client, table.table, 'another-user')).toBe(3);
    expect(sqs.messages).toEqual([]);
    expect(stderr).toContain('"outcome":"finished"');
    expect(stderr).toContain(`invoke: ${WORKER}:`);
  });

  it('hands what is left of a job back to the queue when its time is up', async () => {
    await addTodos(table.client, table.table, EXAMPLE_USER, 30);
    // The worker keeps 5 seconds back to requeue: with a 5-second timeout its time is up at once.
    const synthesized = JSON.parse(readFileSync(template, 'utf8'));
    const worker = synthesized.Resources[WORKER];
    worker.Properties.Timeout = 5;
    worker.Metadata['aws:asset:path'] = resolve(dirname(template), worker.Metadata['aws:asset:path']);
    const shortTimeout = writeJson('short-timeout.template.json', synthesized);

    const { result, stderr } = await invoke(JOB, { function: WORKER, envVars: workerEnvVars, template: shortTimeout });
    expect(result).toEqual({ batchItemFailures: [] });
    expect(sqs.messages.map(({ body }) => JSON.parse(body))).toEqual([
      { userId: EXAMPLE_USER, eventType: 'user.delete', eventId: 'e502168a-b469-45d9-a079-fd45f83e0406', continuation: 1 },
    ]);
    expect(stderr).toContain('"outcome":"continued"');
  });

  it('reports a job it cannot read as a batch item failure, for SQS to retry and dead-letter', async () => {
    const job = JSON.parse(readFileSync(join(ROOT, JOB), 'utf8'));
    job.Records[0].body = '{"userId":" padded "}';
    const { exitCode, result } = await invoke(writeJson('bad-job.json', job), { function: WORKER, envVars: workerEnvVars });
    expect(exitCode).toBe(0);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: job.Records[0].messageId }] });
    expect(sqs.messages).toEqual([]);
  });
});
