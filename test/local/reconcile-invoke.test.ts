import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DynamoDbErasureLedger } from '../../lambda/erasure/dynamodb-ledger.ts';
import { ensureReconcileTable } from '../../local/reconcile-table.ts';
import { snapshot, startTestDynamoDb, type TestDynamoDb } from '../support/dynamo.ts';
import { type FakeFusionAuth, fusionAuthTenant, fusionAuthUser, startFakeFusionAuth } from '../support/fake-fusionauth.ts';
import { type FakeSqs, startFakeSqs } from '../support/fake-sqs.ts';
import { DELETION_TARGETS, fixtureUsers, ITEMS, LEDGER, ownedBy, seedFixture, TENANT_A, TENANT_B, TODOS } from '../support/reconcile-fixture.ts';
import { synthesizedAssembly } from '../support/synth.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKER = 'DeletionWorkerFunction';
const RUNS = 'ReconcileRuns';
const USERS = fixtureUsers(40);
const DELETED = USERS.filter((user) => user.deleted);
/** The variables a stack with `reconcile` on gives the worker (infra/reconcile-schedule.ts), and two tests may set. */
const RECONCILE_VARIABLES = ['RECONCILE_TABLE_NAME', 'RECONCILE_MAX_MISSING', 'RECONCILE_LOOKUP', 'RECONCILE_SEGMENTS', 'RECONCILE_RPS', 'RECONCILE_PAGE_SIZE'];

let dynamo: TestDynamoDb;
let fa: FakeFusionAuth;
let sqs: FakeSqs;
let scratch: string;
let template: string;
let envVars: string;

beforeAll(async () => {
  let outdir: string;
  [dynamo, outdir] = await Promise.all([startTestDynamoDb(), synthesizedAssembly()]);
  scratch = mkdtempSync(join(tmpdir(), 'reconcile-invoke-'));
  // The synthesized template as a stack with reconcile on declares it: the same bundle, the worker
  // with the reconcile's variables, its asset found where cdk synth wrote it.
  const synthesized = JSON.parse(readFileSync(join(outdir, 'PassportWebhookStack.template.json'), 'utf8'));
  const worker = synthesized.Resources[WORKER];
  worker.Metadata['aws:asset:path'] = resolve(outdir, worker.Metadata['aws:asset:path']);
  for (const name of RECONCILE_VARIABLES) worker.Properties.Environment.Variables[name] = '';
  template = join(scratch, 'template.json');
  writeFileSync(template, JSON.stringify(synthesized));

  fa = await startFakeFusionAuth({
    tenants: [fusionAuthTenant(TENANT_A, 'A'), fusionAuthTenant(TENANT_B, 'B')],
    users: USERS.filter((user) => !user.deleted).map((user) => fusionAuthUser({ id: user.id, tenantId: user.tenantId, email: `${user.id}@example.com` })),
    apiKeys: [{ key: 'worker-key-0123456789', permissions: { endpoints: { '/api/user': ['GET'] } } }],
  });
  sqs = await startFakeSqs();
  await seedFixture(dynamo.client, USERS);
  await ensureReconcileTable(dynamo.client, RUNS);
  const shipped = JSON.parse(readFileSync(join(ROOT, 'env.local.json'), 'utf8'));
  writeFileSync(
    (envVars = join(scratch, 'env.json')),
    JSON.stringify({
      [WORKER]: {
        ...shipped[WORKER],
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        DELETION_TARGETS,
        TODO_TABLE_NAME: '',
        ERASURE_LEDGER_TABLE_NAME: LEDGER,
        DELETION_QUEUE_URL: sqs.queueUrl,
        DEAD_LETTER_QUEUE_URL: sqs.deadLetterQueueUrl,
        FUSIONAUTH_URL: fa.url,
        FUSIONAUTH_API_KEY: 'worker-key-0123456789',
        RECONCILE_TABLE_NAME: RUNS,
        RECONCILE_SEGMENTS: '2',
        RECONCILE_PAGE_SIZE: '150',
        RECONCILE_RPS: '1000',
      },
    }),
  );
}, 180_000);

afterAll(async () => {
  await Promise.all([fa?.close(), sqs?.close(), dynamo?.close()]);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** `npm run invoke -- <event> --function DeletionWorkerFunction` on the bundled worker. */
function invoke(event: object): Promise<{ exitCode: number; result: any; stderr: string }> {
  const file = join(scratch, `event-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(event));
  const args = ['run', '--silent', 'invoke', '--', file, '--template', template, '--env-vars', envVars, '--function', WORKER];
  return new Promise((done) => {
    execFile('npm', args, { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      done({ exitCode: error ? Number(error.code) : 0, stderr, result: stdout.trim() ? JSON.parse(stdout) : undefined }),
    );
  });
}

it('runs a scheduled reconcile under npm run invoke on the synthesized bundle: start, pages, finish, erasures, invocation after invocation', async () => {
  const before = { todos: await snapshot(dynamo.client, TODOS), items: await snapshot(dynamo.client, ITEMS) };
  const start = await invoke({ Records: [{ messageId: 'start', receiptHandle: 'start', body: JSON.stringify({ kind: 'reconcile-start' }), attributes: { ApproximateReceiveCount: '1' }, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:jobs', awsRegion: 'us-east-1' }] });
  expect(start.result, start.stderr).toEqual({ batchItemFailures: [] });
  // One message per segment of each target.
  expect(sqs.messages.map(({ body }) => JSON.parse(body))).toEqual(
    [0, 1].flatMap((target) => [0, 1].map((segment) => ({ kind: 'reconcile-page', runId: expect.any(String), target, segment, page: 0 }))),
  );
  const kinds: string[] = [];
  for (let round = 0; sqs.messages.length > 0 && round < 12; round += 1) {
    const event = sqs.takeEvent();
    kinds.push(...event.Records.map(({ body }) => JSON.parse(body).kind as string));
    const { result, stderr } = await invoke(event);
    expect(result, stderr).toEqual({ batchItemFailures: [] });
  }
  expect(sqs.messages).toEqual([]);
  expect(kinds.filter((kind) => kind === 'reconcile-page').length).toBeGreaterThan(4);
  expect(kinds).toContain('reconcile-finish');
  expect(kinds).toContain('erase');
  const owned = ownedBy(new Set(DELETED.map(({ id }) => id)));
  expect({ todos: await snapshot(dynamo.client, TODOS), items: await snapshot(dynamo.client, ITEMS) }).toEqual({
    todos: before.todos.filter((line) => !owned(line)),
    items: before.items.filter((line) => !owned(line)),
  });
  const ledger = new DynamoDbErasureLedger(dynamo.client, LEDGER);
  for (const user of DELETED) expect(await ledger.get(user.id, 'user')).toMatchObject({ state: 'erased', confirmedBy: 'reconcile', todosDeleted: 20 });
  expect(sqs.deadLetters).toEqual([]);
}, 120_000);
