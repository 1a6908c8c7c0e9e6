import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventType, TransactionType, type Webhook } from '@fusionauth/typescript-client';
import { describe, expect, onTestFinished, test } from 'vitest';
import type { ErasureRecord } from '../../../lambda/erasure/ledger.ts';
import { localClient } from '../../../local/dynamodb.ts';
import { addTodos, countTodos } from '../../../local/todo-admin.ts';
import { snapshot, startTestDynamoDb, type TestDynamoDb } from '../../support/dynamo.ts';
import { type FakeFusionAuth, fusionAuthTenant, fusionAuthUser, startFakeFusionAuth } from '../../support/fake-fusionauth.ts';
import { type LocalWebhook, startLocalWebhook, TEST_KEY, TODO_APP } from '../../support/local-webhook.ts';

/**
 * The erasure lifecycle against a FusionAuth stand-in that commits and rolls back as FusionAuth
 * does: nothing is erased before the commit is known, every erasure is in the ledger, and in
 * each scenario the whole Todo table is compared before and after.
 */
const TENANT = '7d3f2c1e-5b4a-4e6f-9a8b-1c2d3e4f5a6b';
const CONFIRM_KEY = 'confirmation-key-0123456789abcdef';
const userId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

interface WorldOptions {
  /** The tenant's transaction type for user.delete and user.registration.delete. */
  readonly level?: TransactionType;
  /** Whether the tenant sends the .complete events. */
  readonly completeEvents?: boolean;
  /** Whether the webhook may ask FusionAuth's API. */
  readonly api?: boolean;
  /** Users and their Todo counts. */
  readonly users?: readonly number[];
  readonly windowSeconds?: number;
  readonly readTimeout?: number;
  readonly env?: Record<string, string>;
  readonly dynamo?: TestDynamoDb;
  /** How much longer each ledger write takes, so that the webhook answers late. */
  readonly slowLedgerMs?: number;
}

interface World {
  readonly fa: FakeFusionAuth;
  readonly webhook: LocalWebhook;
  readonly hook: Webhook;
  readonly ids: readonly string[];
  /** The Todo table, whole. */
  todos(): Promise<string[]>;
  count(user: string): Promise<number>;
  record(user: string, scope?: 'user' | 'registration'): Promise<ErasureRecord | undefined>;
  /** Until FusionAuth has sent everything and the worker has run every job, delayed ones too. */
  quiet(): Promise<void>;
  call(method: string, path: string, body?: unknown): Promise<number>;
}

const ERASURE_EVENTS = [EventType.UserDelete, EventType.UserRegistrationDelete];
const COMPLETE_EVENTS = [EventType.UserDeleteComplete, EventType.UserRegistrationDeleteComplete];

async function world(options: WorldOptions = {}): Promise<World> {
  const { level = TransactionType.AbsoluteMajority, completeEvents = true, api = false, users = [5, 3], windowSeconds = 3 } = options;
  const ids = users.map((_, n) => userId(n + 1));
  const events = Object.fromEntries([
    ...ERASURE_EVENTS.map((type) => [type, { enabled: true, transactionType: level }]),
    ...COMPLETE_EVENTS.map((type) => [type, { enabled: completeEvents, transactionType: TransactionType.None }]),
  ]);
  const fa = await startFakeFusionAuth({
    tenants: [fusionAuthTenant(TENANT, 'Default', events)],
    users: ids.map((id) => fusionAuthUser({ id, tenantId: TENANT, email: `${id}@example.com`, registrations: [{ applicationId: TODO_APP }] })),
    apiKeys: [{ key: CONFIRM_KEY, permissions: { endpoints: { '/api/user': ['GET'] } } }],
  });
  const dynamo = options.dynamo ?? (await startTestDynamoDb());
  const webhook = await startLocalWebhook({
    dynamo,
    functionsClient: options.slowLedgerMs ? slowLedgerClient(dynamo.endpoint, options.slowLedgerMs) : undefined,
    env: {
      ERASURE_CONFIRM_DELAY_SECONDS: '1',
      ERASURE_CONFIRM_WINDOW_SECONDS: String(windowSeconds),
      ...(api && { FUSIONAUTH_URL: fa.url, FUSIONAUTH_API_KEY: CONFIRM_KEY }),
      ...options.env,
    },
  });
  onTestFinished(async () => {
    await fa.close();
    await webhook.close();
    if (!options.dynamo) await dynamo.close();
  });
  const hook = fa.addWebhook({
    url: webhook.url,
    connectTimeout: 1000,
    readTimeout: options.readTimeout ?? 2000,
    headers: { Authorization: TEST_KEY },
    eventsEnabled: Object.fromEntries([...ERASURE_EVENTS, ...COMPLETE_EVENTS].map((type) => [type, true])) as Webhook['eventsEnabled'],
    tenantIds: [TENANT],
  });
  const target = webhook.targets[0]!;
  for (const [n, count] of users.entries()) await addTodos(webhook.client, target, { userId: ids[n]! }, count);
  await addTodos(webhook.client, target, { userId: 'bystander' }, 4);
  return {
    fa,
    webhook,
    hook,
    ids,
    todos: () => snapshot(webhook.client, 'Todos'),
    count: (user) => countTodos(webhook.client, target, { userId: user }),
    record: (user, scope = 'user') => webhook.ledger.get(user, scope),
    async quiet() {
      await fa.settled();
      await webhook.settled();
    },
    async call(method, path, body) {
      const response = await fetch(`${fa.url}${path}`, {
        method,
        headers: { authorization: fa.apiKey, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      await response.body?.cancel();
      return response.status;
    },
  };
}

/** A client whose ledger writes take `delayMs` longer: an answer slower than FusionAuth's read timeout. */
function slowLedgerClient(endpoint: string, delayMs: number): DynamoDBClient {
  const client = localClient(endpoint);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'PutItemCommand') await new Promise((resolve) => setTimeout(resolve, delayMs));
      return next(args);
    },
    { step: 'initialize', name: 'slowLedgerWrites' },
  );
  return client;
}

const without = (items: readonly string[], user: string) => items.filter((item) => !item.includes(`"${user}"`));

describe('a user deleted in FusionAuth', () => {
  test('is only recorded while FusionAuth decides, and erased after user.delete.complete', async () => {
    const w = await world();
    const [alice] = w.ids;
    const before = await w.todos();
    const hold = w.fa.holdNextCommit({ operation: 'user.delete' });
    const deleting = w.call('DELETE', `/api/user/${alice}?hardDelete=true`);
    await hold.reached;
    // The webhook has answered 200, and FusionAuth has not committed: nothing is erased.
    expect(await w.todos()).toEqual(before);
    expect(await w.record(alice!)).toMatchObject({ state: 'requested' });
    hold.release();
    expect(await deleting).toBe(200);
    await w.quiet();

    expect(await w.todos()).toEqual(without(before, alice!));
    expect(await w.record(alice!)).toMatchObject({
      state: 'erased',
      confirmedBy: 'complete-event',
      todosDeleted: 5,
      events: [expect.objectContaining({ type: 'user.delete' }), expect.objectContaining({ type: 'user.delete.complete' })],
    });
  });

  test('without .complete events, is erased once FusionAuth\'s API says the user is gone', async () => {
    const w = await world({ completeEvents: false, api: true });
    const [alice] = w.ids;
    const before = await w.todos();
    expect(await w.call('DELETE', `/api/user/${alice}?hardDelete=true`)).toBe(200);
    expect(await w.todos()).toEqual(before);
    await w.quiet();

    expect(await w.todos()).toEqual(without(before, alice!));
    expect(await w.record(alice!)).toMatchObject({ state: 'erased', confirmedBy: 'api', todosDeleted: 5 });
    // The confirmation key is allowed GET /api/user and nothing else, and asked in the user's tenant.
    const looks = w.fa.requests.filter((request) => request.authorization === CONFIRM_KEY);
    expect(looks.length).toBeGreaterThan(0);
    expect(looks.every((request) => request.method === 'GET' && request.path === `/api/user/${alice}` && request.status === 404)).toBe(true);
  });

  test('another webhook fails an AbsoluteMajority transaction: rolled back, no Todo lost', async () => {
    const w = await world({ api: true });
    const [alice] = w.ids;
    await w.fa.addFailingWebhook({ events: [EventType.UserDelete], tenantIds: [TENANT] });
    const before = await w.todos();
    expect(await w.call('DELETE', `/api/user/${alice}?hardDelete=true`)).toBe(504);
    await w.quiet();

    expect(w.fa.users.has(alice!)).toBe(true);
    expect(await w.todos()).toEqual(before);
    expect(await w.record(alice!)).toMatchObject({ state: 'rolled-back', reason: expect.stringContaining('still had the user'), todosDeleted: 0 });
  });

  test('FusionAuth\'s read timeout is shorter than our answer: rolled back, no Todo lost', async () => {
    const w = await world({ api: true, readTimeout: 100, slowLedgerMs: 300 });
    const [alice] = w.ids;
    const before = await w.todos();
    expect(await w.call('DELETE', `/api/user/${alice}?hardDelete=true`)).toBe(504);
    await w.quiet();

    expect(await w.todos()).toEqual(before);
    expect((await w.record(alice!))?.state).toBe('rolled-back');
  });

  test('the same, without FusionAuth\'s API: kept as unconfirmed, never erased on a guess', async () => {
    const w = await world({ readTimeout: 100, slowLedgerMs: 300 });
    const [alice] = w.ids;
    const before = await w.todos();
    expect(await w.call('DELETE', `/api/user/${alice}?hardDelete=true`)).toBe(504);
    await w.quiet();

    expect(await w.todos()).toEqual(before);
    const record = await w.record(alice!);
    expect(record).toMatchObject({ state: 'unconfirmed', reason: expect.stringContaining('no .complete event') });
    // An unconfirmed request is work left to do: it never expires.
    expect(record!.expiresAt).toBeUndefined();
  });

  test('the request cannot be recorded: 500, FusionAuth rolls back, no Todo lost', async () => {
    const w = await world();
    const [alice] = w.ids;
    await w.webhook.client.send(new DeleteTableCommand({ TableName: 'Erasures' }));
    const before = await w.todos();
    expect(await w.call('DELETE', `/api/user/${alice}?hardDelete=true`)).toBe(504);
    await w.quiet();

    expect(w.fa.users.has(alice!)).toBe(true);
    expect(w.fa.attempts.filter((attempt) => attempt.eventType === 'user.delete').map((attempt) => attempt.outcome)).toEqual([500]);
    expect(await w.todos()).toEqual(before);
  });

  test('.complete before the first look, a redelivery and concurrent duplicates: erased once', async () => {
    const w = await world({ api: true });
    const [alice] = w.ids;
    const before = await w.todos();
    expect(await w.call('DELETE', `/api/user/${alice}?hardDelete=true`)).toBe(200);
    await w.fa.settled();
    const sent = (type: string) => w.webhook.received.find((delivery) => delivery.type === type)!.body;
    // Both events again, the .complete five times at once, as a retrying or duplicating sender would.
    const answers = await Promise.all([
      w.webhook.post(sent('user.delete')),
      ...Array.from({ length: 5 }, () => w.webhook.post(sent('user.delete.complete'))),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200]);
    await w.quiet();

    expect(await w.todos()).toEqual(without(before, alice!));
    const record = await w.record(alice!);
    expect(record).toMatchObject({ state: 'erased', todosDeleted: 5, cycle: 1, history: [] });
    expect(record!.events.map((event) => event.type)).toEqual(['user.delete', 'user.delete.complete']);
  });

  test('FusionAuth\'s API is down while confirming: looked at again, erased once it is back', async () => {
    const w = await world({ completeEvents: false, api: true, windowSeconds: 20 });
    const [alice] = w.ids;
    const before = await w.todos();
    w.fa.faults.fail({ path: `/api/user/${alice}`, method: 'GET', status: 503, times: 2 });
    expect(await w.call('DELETE', `/api/user/${alice}?hardDelete=true`)).toBe(200);
    await w.quiet();

    expect(await w.todos()).toEqual(without(before, alice!));
    const record = await w.record(alice!);
    expect(record).toMatchObject({ state: 'erased', confirmedBy: 'api', checks: 2, lastCheck: 'unavailable (HTTP 503)' });
  });

  test('a key FusionAuth refuses is a configuration error: logged, counted, and the request waits as unconfirmed', async () => {
    const w = await world({ completeEvents: false, api: true, env: { FUSIONAUTH_API_KEY: 'not-a-key' } });
    const [alice] = w.ids;
    const before = await w.todos();
    expect(await w.call('DELETE', `/api/user/${alice}?hardDelete=true`)).toBe(200);
    await w.quiet();

    expect(await w.todos()).toEqual(before);
    expect(await w.record(alice!)).toMatchObject({ state: 'unconfirmed', reason: expect.stringContaining('key refused (HTTP 401)') });
  });
});

describe('a registration deleted in FusionAuth', () => {
  test('is erased after user.registration.delete.complete', async () => {
    const w = await world();
    const [alice] = w.ids;
    const before = await w.todos();
    expect(await w.call('DELETE', `/api/user/registration/${alice}/${TODO_APP}`)).toBe(200);
    await w.quiet();
    expect(await w.todos()).toEqual(without(before, alice!));
    expect(await w.record(alice!, 'registration')).toMatchObject({ state: 'erased', confirmedBy: 'complete-event' });
    expect(await w.record(alice!, 'user')).toBeUndefined();
  });

  test('deleted and re-created before the confirmation: kept', async () => {
    const w = await world({ completeEvents: false, api: true });
    const [alice] = w.ids;
    const before = await w.todos();
    expect(await w.call('DELETE', `/api/user/registration/${alice}/${TODO_APP}`)).toBe(200);
    expect(await w.call('POST', `/api/user/registration/${alice}`, { registration: { applicationId: TODO_APP } })).toBe(200);
    await w.quiet();

    expect(await w.todos()).toEqual(before);
    expect(await w.record(alice!, 'registration')).toMatchObject({ state: 'rolled-back', reason: expect.stringContaining('registration') });
  });

  test('removed for good, without .complete events: erased once the API shows it gone', async () => {
    const w = await world({ completeEvents: false, api: true });
    const [alice] = w.ids;
    const before = await w.todos();
    expect(await w.call('DELETE', `/api/user/registration/${alice}/${TODO_APP}`)).toBe(200);
    await w.quiet();
    expect(await w.todos()).toEqual(without(before, alice!));
    expect(await w.record(alice!, 'registration')).toMatchObject({ state: 'erased', confirmedBy: 'api' });
  });
});

describe('a bulk delete of 500 users with 0 to 200 Todos each, which sends no .complete', () => {
  const COUNTS = Array.from({ length: 500 }, (_, n) => (n * 37) % 201);

  test.each([
    ['with FusionAuth\'s API, every user is erased', true],
    ['without it, every user is kept as unconfirmed', false],
  ])('%s; other users untouched', async (_, api) => {
    const dynamo = await startTestDynamoDb();
    onTestFinished(() => dynamo.close());
    // The bulk delete holds one transaction while it sends 500 deliveries: a window long enough to outlast it.
    const w = await world({ api, users: COUNTS, completeEvents: false, dynamo, windowSeconds: api ? 120 : 3 });
    const before = await w.todos();
    expect(before).toHaveLength(COUNTS.reduce((sum, count) => sum + count, 4));
    expect(await w.call('DELETE', '/api/user/bulk', { userIds: w.ids, hardDelete: true })).toBe(200);
    expect(w.fa.attempts.filter((attempt) => attempt.eventType === 'user.delete')).toHaveLength(500);
    await w.quiet();

    const after = await w.todos();
    const records = await Promise.all(w.ids.map((id) => w.record(id)));
    if (api) {
      expect(after).toEqual(before.filter((item) => item.includes('"bystander"')));
      expect(records.map((record) => record?.state)).toEqual(w.ids.map(() => 'erased'));
      expect(records.map((record) => record?.todosDeleted)).toEqual(COUNTS);
    } else {
      expect(after).toEqual(before);
      expect(records.map((record) => record?.state)).toEqual(w.ids.map(() => 'unconfirmed'));
    }
  }, 120_000);
});
