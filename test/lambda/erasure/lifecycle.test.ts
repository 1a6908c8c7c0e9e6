import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { EventType, TransactionType } from '@fusionauth/typescript-client';
import { describe, expect, onTestFinished, test } from 'vitest';
import { startTestDynamoDb } from '../../support/dynamo.ts';
import { CONFIRM_KEY, TENANT, world } from '../../support/fusionauth-world.ts';
import { TODO_APP } from '../../support/local-webhook.ts';

/**
 * The erasure lifecycle against a FusionAuth stand-in that commits and rolls back as FusionAuth
 * does: nothing is erased before the commit is known, every erasure is in the ledger, and in
 * each scenario the whole Todo table is compared before and after.
 */
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

// With FusionAuth's API, a bulk delete is test/lambda/erasure/bulk-delete.test.ts (1,000 users, at a partition limit).
describe('a bulk delete of 500 users with 0 to 200 Todos each, which sends no .complete, without FusionAuth\'s API', () => {
  const COUNTS = Array.from({ length: 500 }, (_, n) => (n * 37) % 201);

  test('keeps every user as unconfirmed, and erases nothing', async () => {
    const dynamo = await startTestDynamoDb();
    onTestFinished(() => dynamo.close());
    const w = await world({ api: false, users: COUNTS, completeEvents: false, dynamo, windowSeconds: 3 });
    const before = await w.todos();
    expect(before).toHaveLength(COUNTS.reduce((sum, count) => sum + count, 4));
    expect(await w.call('DELETE', '/api/user/bulk', { userIds: w.ids, hardDelete: true })).toBe(200);
    expect(w.fa.attempts.filter((attempt) => attempt.eventType === 'user.delete')).toHaveLength(500);
    await w.quiet();

    expect(await w.todos()).toEqual(before);
    const records = await Promise.all(w.ids.map((id) => w.record(id)));
    expect(records.map((record) => record?.state)).toEqual(w.ids.map(() => 'unconfirmed'));
  }, 120_000);
});
