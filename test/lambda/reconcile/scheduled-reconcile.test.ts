import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReconcileRunStore } from '../../../lambda/reconcile/reconcile-run-store.ts';
import { ensureReconcileTable } from '../../../local/reconcile-table.ts';
import { snapshot, startTestDynamoDb, type TestDynamoDb } from '../../support/dynamo.ts';
import type { FakeFusionAuth } from '../../support/fake-fusionauth.ts';
import { type LocalWebhook, startLocalWebhook } from '../../support/local-webhook.ts';
import { DELETION_TARGETS, fixtureUsers, ITEMS, ownedBy, seedFixture, startFixtureFusionAuth, TENANT_B, TODOS } from '../../support/reconcile-fixture.ts';

const RUNS = 'ReconcileRuns';
const USERS = fixtureUsers(600);
const DELETED = USERS.filter((user) => user.deleted);
const KEYS = { worker: 'worker-get-key-0123456789', tenantB: 'worker-tenant-b-key-0123456789' };

let dynamo: TestDynamoDb;
let fa: FakeFusionAuth;
let before: { todos: string[]; items: string[] };
const tables = async () => ({ todos: await snapshot(dynamo.client, TODOS), items: await snapshot(dynamo.client, ITEMS) });

/** The worker as the stack wires it with reconcile on, its queue in process; `failPages` page records fail to be written first. */
async function worker(apiKey: string, options: { failPageWrites?: number } = {}): Promise<LocalWebhook> {
  let failures = options.failPageWrites ?? 0;
  const functionsClient = new DynamoDBClient({ endpoint: dynamo.endpoint });
  // A crash between a page's candidates and its record: the redelivered job must count the page once.
  functionsClient.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { TableName?: string; Item?: { item?: { S?: string } } };
      if (failures > 0 && input.TableName === RUNS && input.Item?.item?.S?.startsWith('page#')) {
        failures -= 1;
        throw Object.assign(new Error('injected failure'), { name: 'InternalServerError' });
      }
      return next(args);
    },
    { step: 'initialize', name: 'failPageWrites' },
  );
  return startLocalWebhook({
    dynamo,
    functionsClient,
    env: {
      DELETION_TARGETS,
      FUSIONAUTH_URL: fa.url,
      FUSIONAUTH_API_KEY: apiKey,
      RECONCILE_TABLE_NAME: RUNS,
      RECONCILE_PAGE_SIZE: '500',
      RECONCILE_RPS: '1000',
      ERASURE_SECOND_PASS_SECONDS: '0',
    },
    queue: { retryDelayMs: 20 },
  });
}

beforeAll(async () => {
  dynamo = await startTestDynamoDb();
  fa = await startFixtureFusionAuth(USERS, [
    { key: KEYS.worker, permissions: { endpoints: { '/api/user': ['GET'] } } },
    { key: KEYS.tenantB, tenantId: TENANT_B, permissions: { endpoints: { '/api/user': ['GET'] } } },
  ]);
  await seedFixture(dynamo.client, USERS);
  await ensureReconcileTable(dynamo.client, RUNS);
  before = await tables();
}, 120_000);

afterAll(async () => {
  await fa?.close();
  await dynamo?.close();
});

async function runs(): Promise<{ state: string; checked?: number; missing?: number; reason?: string }[]> {
  const store = new ReconcileRunStore(dynamo.client, RUNS);
  const items = await snapshot(dynamo.client, RUNS);
  const ids = [...new Set(items.map((line) => JSON.parse(line)).filter((item) => item.item.S === 'run').map((item) => item.runId.S as string))];
  return Promise.all(ids.map(async (id) => (await store.getRun(id))!));
}

describe('the scheduled reconcile, through the worker and its queue', () => {
  it('a key locked to one tenant of two: the run is refused at its finish, nothing recorded or erased', async () => {
    const hook = await worker(KEYS.tenantB);
    try {
      await hook.queue.send({ kind: 'reconcile-start' });
      await hook.settled();
      // Users are counted per target and page (one whose items straddle two pages, twice): about half are missing.
      const [run] = await runs();
      expect(await runs()).toEqual([expect.objectContaining({ state: 'refused', reason: expect.stringContaining('more than max-missing 20%') })]);
      expect(run!.missing! / run!.checked!).toBeGreaterThan(0.45);
      expect(await tables()).toEqual(before);
      expect((await hook.ledger.list({})).records).toEqual([]);
    } finally {
      await hook.close();
    }
  });

  it('fans the Scan out by segment and page, resumes a page that failed, and erases exactly the users FusionAuth deleted', async () => {
    const hook = await worker(KEYS.worker, { failPageWrites: 3 });
    try {
      await hook.queue.send({ kind: 'reconcile-start' });
      // A second start while the first runs: skipped, one run at a time.
      await hook.queue.send({ kind: 'reconcile-start' });
      await hook.settled();
      const done = (await runs()).find((run) => run.state === 'done');
      const pages = (await snapshot(dynamo.client, RUNS)).filter((line) => line.includes('"page#'));
      // Each user is counted once per target, and again for each page boundary their items straddle.
      expect(done!.checked).toBeGreaterThanOrEqual(2 * USERS.length);
      expect(done!.checked).toBeLessThanOrEqual(2 * USERS.length + pages.length);
      expect(done!.missing).toBeGreaterThanOrEqual(2 * DELETED.length);
      expect((await runs()).filter((run) => run.state !== 'refused')).toHaveLength(1);
      const owned = ownedBy(new Set(DELETED.map(({ id }) => id)));
      expect(await tables()).toEqual({ todos: before.todos.filter((line) => !owned(line)), items: before.items.filter((line) => !owned(line)) });
      for (const user of DELETED) {
        expect(await hook.ledger.get(user.id, 'user')).toMatchObject({ state: 'erased', confirmedBy: 'reconcile', todosDeleted: 20 });
      }
      // Pages of every segment of both targets: more than one page each.
      expect(pages.length).toBeGreaterThan(2 * 4);
      expect(hook.queue.deadLetters).toEqual([]);
    } finally {
      await hook.close();
    }
  });
});
