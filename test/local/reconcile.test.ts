import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbErasureLedger } from '../../lambda/erasure/dynamodb-ledger.ts';
import { end, request } from '../../lambda/erasure/ledger.ts';
import { snapshot, startTestDynamoDb, type TestDynamoDb } from '../support/dynamo.ts';
import type { FakeFusionAuth } from '../support/fake-fusionauth.ts';
import {
  DELETION_TARGETS,
  fixtureUsers,
  ITEMS,
  LEDGER,
  LEGACY_IDS,
  ownedBy,
  seedFixture,
  startFixtureFusionAuth,
  TENANT_A,
  TENANT_B,
  TODOS,
  userId,
} from '../support/reconcile-fixture.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const USERS = fixtureUsers(5_000);
const DELETED = USERS.filter((user) => user.deleted);
const DELETED_IDS = new Set(DELETED.map(({ id }) => id));
const KEYS = {
  search: 'reconcile-search-key-0123456789',
  getOnly: 'reconcile-get-key-0123456789',
  tenantB: 'reconcile-tenant-b-key-0123456789',
};
/** Unconfirmed requests in the ledger: one of a user FusionAuth deleted (no Todos of theirs left), one of a user still there. */
const GONE_UNCONFIRMED = userId(9_001);
const PRESENT_UNCONFIRMED = USERS[0]!.id;

let dynamo: TestDynamoDb;
let fa: FakeFusionAuth;
let ledger: DynamoDbErasureLedger;
let before: { todos: string[]; items: string[] };

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function start(args: readonly string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<Run> } {
  // One process (tsx's own command would run the script in a child of its own, which a kill misses).
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/reconcile.ts', '--fusionauth-url', fa.url, '--rps', '1000', ...args], {
    cwd: ROOT,
    env: { ...process.env, AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, DELETION_TARGETS, ERASURE_LEDGER_TABLE_NAME: LEDGER, FUSIONAUTH_API_KEY: KEYS.search, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({ code: code ?? (signal ? -1 : 0), stdout, stderr })));
  return { child, done };
}

const reconcile = (args: readonly string[], env?: Record<string, string>) => start(args, env).done;
const tables = async () => ({ todos: await snapshot(dynamo.client, TODOS), items: await snapshot(dynamo.client, ITEMS) });

beforeAll(async () => {
  dynamo = await startTestDynamoDb();
  fa = await startFixtureFusionAuth(USERS, [
    { key: KEYS.search, permissions: { endpoints: { '/api/user/search': ['POST'] } } },
    { key: KEYS.getOnly, permissions: { endpoints: { '/api/user': ['GET'] } } },
    { key: KEYS.tenantB, tenantId: TENANT_B },
  ]);
  await seedFixture(dynamo.client, USERS);
  ledger = new DynamoDbErasureLedger(dynamo.client, LEDGER);
  const now = Date.now();
  for (const id of [GONE_UNCONFIRMED, PRESENT_UNCONFIRMED]) {
    const subject = { userId: id, scope: 'user' as const, tenantId: TENANT_A };
    await ledger.update(id, 'user', (current) => request(current, subject, { id: `delete-${id}`, type: 'user.delete', digest: 'd', at: now }, now));
    await ledger.update(id, 'user', (current) => end(current, 1, 'unconfirmed', 'no .complete event came within the window', now, 3600));
  }
  before = await tables();
}, 120_000);

afterAll(async () => {
  await fa?.close();
  await dynamo?.close();
});

describe('npm run reconcile', () => {
  it('dry run: lists exactly the users FusionAuth no longer has, with their Todos per target, and changes nothing', async () => {
    const { code, stdout, stderr } = await reconcile(['--json']);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.missingUsers.map((user: { userId: string; todos: object }) => [user.userId, user.todos]).sort()).toEqual(
      DELETED.map((user) => [user.id, user.todos]).sort(),
    );
    expect(report).toMatchObject({ apply: false, verdict: 'within', checked: 5_000, missing: 300, erased: 0 });
    expect(report.notFusionAuthIds).toMatchObject({ items: 20, ids: 2 });
    expect(report.unconfirmed).toHaveLength(2);
    expect(report.unconfirmed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ userId: PRESENT_UNCONFIRMED, found: 'present', action: 'roll-back', done: false }),
        expect.objectContaining({ userId: GONE_UNCONFIRMED, found: 'gone', action: 'confirm', done: false }),
      ]),
    );
    // Plain progress lines, not a terminal's bar.
    expect(stderr).toMatch(/^scan: [\d,]+ items scanned, 5,000 users checked, 300 missing/m);
    expect(await tables()).toEqual(before);
    expect((await ledger.get(GONE_UNCONFIRMED, 'user'))?.state).toBe('unconfirmed');
  });

  it('prints the missing users and a summary for a person; the ledger named by cdk deploy --outputs-file', async () => {
    const outputs = join(mkdtempSync(join(tmpdir(), 'reconcile-outputs-')), 'outputs.json');
    writeFileSync(outputs, JSON.stringify({ PassportWebhookStack: { WebhookUrl: 'https://example.com', ErasureLedgerTableName: LEDGER } }));
    const { code, stdout } = await reconcile(['--outputs-file', outputs], { ERASURE_LEDGER_TABLE_NAME: '' });
    expect(code).toBe(0);
    const user = DELETED[0]!;
    expect(stdout).toContain(`  ${user.id}: 20 Todos (${TODOS} ${user.todos[TODOS]}, ${ITEMS} ${user.todos[ITEMS]})`);
    expect(stdout).toContain('5000 users checked, 300 missing in FusionAuth (6%; max-missing 20%)');
    // The examples in the order the segments met them.
    expect(stdout).toMatch(new RegExp(`not a FusionAuth id: 20 items of 2 ids that are not UUIDs \\(e\\.g\\. (${LEGACY_IDS.join(', ')}|${[...LEGACY_IDS].reverse().join(', ')})\\)`));
    expect(stdout).toContain(`  ${GONE_UNCONFIRMED} (user, cycle 1): gone -> to confirm and erase`);
    expect(stdout).toContain('dry run: nothing changed');
  });

  it('stops at once on a 401, naming what the key must be allowed, and changes nothing', async () => {
    const sent = fa.requests.length;
    const { code, stderr } = await reconcile(['--apply', '--api-key', KEYS.getOnly, '--concurrency', '1']);
    expect(code).toBe(1);
    expect(stderr).toContain('FusionAuth refused the API key (HTTP 401) for POST /api/user/search: the key must be allowed POST on /api/user/search');
    expect(fa.requests.slice(sent).map(({ status }) => status)).toEqual([401]);
    expect(await tables()).toEqual(before);
  });

  it('refuses a key locked to another tenant: too many missing, nothing recorded or erased', async () => {
    const { code, stdout } = await reconcile(['--apply', '--api-key', KEYS.tenantB, '--json']);
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ verdict: 'refused', stoppedEarly: true, erased: 0, unconfirmed: [] });
    expect(report.ratio).toBeGreaterThan(0.4);
    expect(report.reason).toContain('a key locked to one tenant');
    expect(await tables()).toEqual(before);
    expect((await ledger.list({ state: 'erased' })).records).toEqual([]);
  });

  it('--apply, killed mid-way and run again, erases exactly the missing users and resolves the unconfirmed requests', async () => {
    const first = start(['--apply', '--lease', '2']);
    // Killed once it has begun erasing: some users erased, maybe one held by its lease.
    await new Promise<void>((resolve) => first.child.stderr!.on('data', (chunk: Buffer) => chunk.toString().includes('erase: ') && resolve()));
    first.child.kill('SIGKILL');
    await first.done;
    const erasedBefore = (await ledger.list({ state: 'erased', limit: 1000 })).records.length;
    expect(erasedBefore).toBeLessThan(DELETED.length);

    const { code, stdout, stderr } = await reconcile(['--apply', '--lease', '2', '--json']);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ verdict: 'within', failed: 0 });
    // The users the first run finished have nothing left to find: only the rest are missing now.
    expect(report.missingUsers.every(({ userId: id }: { userId: string }) => DELETED_IDS.has(id))).toBe(true);
    expect(report.missingUsers.length).toBeLessThanOrEqual(DELETED.length - erasedBefore + 4);
    expect(report.unconfirmed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ userId: PRESENT_UNCONFIRMED, action: 'roll-back', done: true }),
        expect.objectContaining({ userId: GONE_UNCONFIRMED, action: 'confirm', done: true }),
      ]),
    );
    const after = await tables();
    const owned = ownedBy(DELETED_IDS);
    expect(after).toEqual({ todos: before.todos.filter((line) => !owned(line)), items: before.items.filter((line) => !owned(line)) });
    const records = await Promise.all(DELETED.map((user) => ledger.get(user.id, 'user')));
    expect(records.filter((record) => record?.state !== 'erased' || record.confirmedBy !== 'reconcile')).toEqual([]);
    // What a killed run deleted under its lease it could not count: only those (one per erasure in flight) count less.
    expect(records.filter((record) => record!.todosDeleted !== 20).length).toBeLessThanOrEqual(4);
    expect(await ledger.get(GONE_UNCONFIRMED, 'user')).toMatchObject({ state: 'erased', confirmedBy: 'reconcile', cycle: 1, todosDeleted: 0 });
    expect(await ledger.get(PRESENT_UNCONFIRMED, 'user')).toMatchObject({ state: 'rolled-back', cycle: 1 });
    // Non-FusionAuth ids were never erased.
    expect(after.todos.filter((line) => LEGACY_IDS.some((id) => line.includes(`"${id}"`)))).toHaveLength(20);
  });

  it('a second --apply finds nothing to erase and changes nothing', async () => {
    const settled = await tables();
    const { code, stdout } = await reconcile(['--apply', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ verdict: 'within', checked: 4_700, missing: 0, erased: 0, missingUsers: [], unconfirmed: [] });
    expect(await tables()).toEqual(settled);
  });

  it.each([
    [['--max-missing', '150%'], '--max-missing must be a percentage from 0% to 100%'],
    [['--outputs-file', '/nonexistent/outputs.json'], '--outputs-file /nonexistent/outputs.json cannot be read as JSON'],
    [['--lookup', 'scan'], '--lookup takes search or get'],
  ])('answers the usage error %j with exit code 2', async (args, message) => {
    const { code, stderr } = await reconcile(args);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });
});
