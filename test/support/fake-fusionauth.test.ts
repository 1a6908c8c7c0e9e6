import { createHash } from 'node:crypto';
import { EventType, TransactionType, type User, type Webhook } from '@fusionauth/typescript-client';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, onTestFinished, test } from 'vitest';
import {
  type FakeFusionAuth,
  type FakeFusionAuthSetup,
  fusionAuthTenant,
  fusionAuthUser,
  type Responder,
  startFakeFusionAuth,
  startWebhookReceiver,
  type WebhookReceiver,
} from './fake-fusionauth.ts';
import { levelMet } from './fusionauth/model.ts';

const TENANT = '7d3f2c1e-5b4a-4e6f-9a8b-1c2d3e4f5a6b';
const OTHER_TENANT = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const TODO_APP = '3c219e58-ed0e-4b18-ad48-f4f92793ae32';
const OTHER_APP = 'b1a2c3d4-0000-4000-8000-00000000a99a';
const ALICE = '00000000-0000-4000-8000-0000000a11ce';
const BOB = '00000000-0000-4000-8000-000000000b0b';
const CAROL = '00000000-0000-4000-8000-0000000ca501';
const MISSING = 'ffffffff-0000-4000-8000-000000000404';
const SIGNING_KEY = '401c9046-b274-403f-963d-adc5024c6ef0';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const TRANSACTIONAL = [EventType.UserCreate, EventType.UserDeactivate, EventType.UserDelete, EventType.UserRegistrationCreate, EventType.UserRegistrationDelete];
const COMPLETE = [EventType.UserCreateComplete, EventType.UserDeleteComplete, EventType.UserRegistrationCreateComplete, EventType.UserRegistrationDeleteComplete];
const ALL_EVENTS = [...TRANSACTIONAL, ...COMPLETE];

/** A tenant with our events enabled: the transactional ones at `level`, the `.complete` ones at None as they must be. */
const tenantAt = (id: string, name: string, level: TransactionType) =>
  fusionAuthTenant(id, name, Object.fromEntries(ALL_EVENTS.map((type) => [type, { enabled: true, transactionType: COMPLETE.includes(type) ? TransactionType.None : level }])));

const users = (): User[] => [
  fusionAuthUser({ id: ALICE, tenantId: TENANT, email: 'alice@example.com', registrations: [{ applicationId: TODO_APP }, { applicationId: OTHER_APP }] }),
  fusionAuthUser({ id: BOB, tenantId: TENANT, email: 'bob@example.com', registrations: [{ applicationId: TODO_APP }] }),
  fusionAuthUser({ id: CAROL, tenantId: OTHER_TENANT, email: 'carol@example.com', username: 'carol' }),
];

interface World {
  fa: FakeFusionAuth;
  receiver: WebhookReceiver;
  webhook: Webhook;
}

/** FusionAuth with two tenants, three users, and one receiver subscribed to every event of our tenant. */
async function world(
  options: { level?: TransactionType; respond?: Responder; webhook?: Partial<Webhook>; setup?: FakeFusionAuthSetup } = {},
): Promise<World> {
  const receiver = await startWebhookReceiver(options.respond);
  const fa = await startFakeFusionAuth({
    tenants: [tenantAt(TENANT, 'Default', options.level ?? TransactionType.AbsoluteMajority), tenantAt(OTHER_TENANT, 'Partners', TransactionType.AbsoluteMajority)],
    users: users(),
    ...options.setup,
  });
  onTestFinished(async () => {
    await fa.close();
    await receiver.close();
  });
  const webhook = fa.addWebhook({
    url: receiver.url,
    eventsEnabled: Object.fromEntries(ALL_EVENTS.map((type) => [type, true])) as Webhook['eventsEnabled'],
    tenantIds: [TENANT],
    ...options.webhook,
  });
  return { fa, receiver, webhook };
}

interface Answer {
  status: number;
  /** The parsed JSON, or '' for an empty body. */
  body: any;
  headers: Headers;
}

async function call(
  fa: FakeFusionAuth,
  method: string,
  path: string,
  { body, key = fa.apiKey, tenantId }: { body?: unknown; key?: string; tenantId?: string } = {},
): Promise<Answer> {
  const response = await fetch(`${fa.url}${path}`, {
    method,
    headers: { authorization: key, 'content-type': 'application/json', ...(tenantId && { 'x-fusionauth-tenantid': tenantId }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? '' : JSON.parse(text), headers: response.headers };
}

const hardDelete = (fa: FakeFusionAuth, id: string) => call(fa, 'DELETE', `/api/user/${id}?hardDelete=true`);
const outcomes = (fa: FakeFusionAuth, webhook: Webhook) => fa.attempts.filter((attempt) => attempt.webhookId === webhook.id).map((attempt) => attempt.outcome);
const types = (receiver: WebhookReceiver) => receiver.events().map((event) => event.type);

const TRANSACTION_FAILED = {
  generalErrors: [
    {
      code: '[WebhookTransactionException]',
      message: 'One or more webhooks returned an invalid response or were unreachable. Based on your transaction configuration, your action cannot be completed.',
    },
  ],
};

describe('transactions', () => {
  test('AbsoluteMajority, the receiver answers 200: the delete commits, and only then user.delete.complete goes out', async () => {
    const { fa, receiver, webhook } = await world();

    expect(await hardDelete(fa, ALICE)).toMatchObject({ status: 200, body: '' });
    expect((await call(fa, 'GET', `/api/user/${ALICE}`)).status).toBe(404);
    await fa.settled();

    expect(types(receiver)).toEqual(['user.delete', 'user.delete.complete']);
    const [deleted, complete] = receiver.events();
    expect(deleted).toEqual({
      createInstant: expect.any(Number),
      id: expect.stringMatching(UUID),
      info: { ipAddress: '127.0.0.1', userAgent: expect.any(String) },
      linkedObjectId: ALICE,
      tenantId: TENANT,
      type: 'user.delete',
      user: expect.objectContaining({
        id: ALICE,
        tenantId: TENANT,
        email: 'alice@example.com',
        active: true,
        registrations: [expect.objectContaining({ applicationId: TODO_APP, id: expect.stringMatching(UUID) }), expect.objectContaining({ applicationId: OTHER_APP })],
      }),
    });
    expect(complete).toMatchObject({ type: 'user.delete.complete', linkedObjectId: ALICE, user: { id: ALICE } });
    expect(complete!.id).not.toBe(deleted!.id);
    expect(receiver.deliveries[0]!.body).toBe(JSON.stringify({ event: deleted }));
    expect(receiver.deliveries[0]!.headers['content-type']).toBe('application/json');

    expect(fa.transactions).toEqual([{ operation: 'user.delete', eventType: 'user.delete', userIds: [ALICE], committed: true }]);
    expect(fa.attempts.map(({ eventType, attempt, outcome, webhookId }) => ({ eventType, attempt, outcome, webhookId }))).toEqual([
      { eventType: 'user.delete', attempt: 1, outcome: 200, webhookId: webhook.id },
      { eventType: 'user.delete.complete', attempt: 1, outcome: 200, webhookId: webhook.id },
    ]);
  });

  test('AbsoluteMajority, a second webhook answers 500: rolled back, 504 [WebhookTransactionException], the user kept, nothing retried', async () => {
    const { fa, receiver, webhook } = await world();
    const failing = await fa.addFailingWebhook({ events: [EventType.UserDelete, EventType.UserDeleteComplete] });

    expect(await hardDelete(fa, ALICE)).toMatchObject({ status: 504, body: TRANSACTION_FAILED });
    expect((await call(fa, 'GET', `/api/user/${ALICE}`)).body.user.id).toBe(ALICE);
    await fa.settled();

    expect(types(receiver)).toEqual(['user.delete']);
    expect(outcomes(fa, webhook)).toEqual([200]);
    expect(outcomes(fa, failing)).toEqual([500]);
    expect(fa.transactions).toEqual([{ operation: 'user.delete', eventType: 'user.delete', userIds: [ALICE], committed: false }]);
  });

  test('a readTimeout shorter than the answer is a failure: the 200 that comes late does not save the delete', async () => {
    const { fa, receiver, webhook } = await world({ respond: () => ({ status: 200, delayMs: 400 }), webhook: { readTimeout: 100 } });

    expect(await hardDelete(fa, ALICE)).toMatchObject({ status: 504, body: TRANSACTION_FAILED });
    expect(receiver.events('user.delete')).toHaveLength(1);
    expect(outcomes(fa, webhook)).toEqual(['timeout']);
    expect(fa.users.has(ALICE)).toBe(true);
  });

  test('None, one webhook refused: committed anyway, the failure dropped without a retry', async () => {
    const { fa, receiver } = await world({ level: TransactionType.None });
    const refused = await fa.addFailingWebhook({ events: [EventType.UserDelete], failure: 'refused' });

    expect((await hardDelete(fa, ALICE)).status).toBe(200);
    expect(fa.users.has(ALICE)).toBe(false);
    await fa.settled();

    expect(outcomes(fa, refused)).toEqual(['refused']);
    expect(types(receiver)).toEqual(['user.delete', 'user.delete.complete']);
    expect(fa.transactions).toMatchObject([{ operation: 'user.delete', committed: true }]);
  });

  test('Any, one of two succeeds: the failed one is retried three more times with the same event, before the answer', async () => {
    const { fa, webhook } = await world({ level: TransactionType.Any });
    const failing = await fa.addFailingWebhook({ events: [EventType.UserDelete] });

    expect((await hardDelete(fa, ALICE)).status).toBe(200);
    // Already recorded when the answer came: the retries are part of the transaction.
    expect(outcomes(fa, failing)).toEqual([500, 500, 500, 500]);
    expect(fa.attempts.filter((attempt) => attempt.webhookId === failing.id).map((attempt) => attempt.attempt)).toEqual([1, 2, 3, 4]);
    expect(new Set(fa.attempts.filter((attempt) => attempt.eventType === 'user.delete').map((attempt) => attempt.eventId)).size).toBe(1);
    expect(outcomes(fa, webhook)[0]).toBe(200);
    expect(fa.users.has(ALICE)).toBe(false);
  });

  test.each([
    [TransactionType.Any, 3, 0, false],
    [TransactionType.Any, 3, 1, true],
    [TransactionType.SimpleMajority, 2, 1, true],
    [TransactionType.SimpleMajority, 3, 1, false],
    [TransactionType.SuperMajority, 3, 2, true],
    [TransactionType.SuperMajority, 4, 2, false],
    [TransactionType.AbsoluteMajority, 2, 1, false],
    [TransactionType.AbsoluteMajority, 0, 0, true],
    [TransactionType.None, 2, 0, true],
  ])('%s with %i webhooks and %i successes: met is %s', (level, total, succeeded, met) => {
    expect(levelMet(level, total, succeeded)).toBe(met);
  });

  test('a held commit: between the receiver\'s 200 and the commit FusionAuth still has the user; release commits, fail answers 500', async () => {
    const { fa, receiver } = await world();

    const hold = fa.holdNextCommit({ eventType: EventType.UserDelete });
    const deleting = hardDelete(fa, ALICE);
    expect(await hold.reached).toEqual({ operation: 'user.delete', eventType: 'user.delete', userIds: [ALICE] });
    expect(types(receiver)).toEqual(['user.delete']);
    expect((await call(fa, 'GET', `/api/user/${ALICE}`)).status).toBe(200);
    hold.release();
    expect((await deleting).status).toBe(200);
    expect((await call(fa, 'GET', `/api/user/${ALICE}`)).status).toBe(404);

    const failed = fa.holdNextCommit();
    const second = hardDelete(fa, BOB);
    await failed.reached;
    failed.fail();
    expect(await second).toMatchObject({ status: 500, body: '' });
    expect(fa.users.has(BOB)).toBe(true);
    await fa.settled();
    expect(types(receiver)).toEqual(['user.delete', 'user.delete.complete', 'user.delete']);
    expect(fa.transactions.map((transaction) => transaction.committed)).toEqual([true, false]);
  });
});

describe('deletes', () => {
  test('bulk delete: one user.delete per user, each with its own user, no .complete; one transaction for all', async () => {
    const { fa, receiver } = await world();

    const dryRun = await call(fa, 'DELETE', '/api/user/bulk', { body: { userIds: [ALICE, BOB], hardDelete: true, dryRun: true } });
    expect(dryRun).toMatchObject({ status: 200, body: { dryRun: true, hardDelete: true, total: 2, userIds: [ALICE, BOB] } });
    expect(receiver.deliveries).toHaveLength(0);

    // Bob's event is refused by the receiver: the whole request rolls back, Alice included.
    receiver.respond = ({ event }) => (event?.user.id === BOB ? 500 : 200);
    expect(await call(fa, 'DELETE', `/api/user/bulk?userId=${ALICE}&userId=${BOB}&hardDelete=true`)).toMatchObject({ status: 504, body: TRANSACTION_FAILED });
    expect([fa.users.has(ALICE), fa.users.has(BOB)]).toEqual([true, true]);

    receiver.respond = () => 200;
    receiver.deliveries.length = 0;
    const deleted = await call(fa, 'DELETE', `/api/user/bulk?userId=${ALICE}&userId=${BOB}&userId=${MISSING}&hardDelete=true`);
    expect(deleted).toMatchObject({ status: 200, body: { dryRun: false, hardDelete: true, total: 2, userIds: [ALICE, BOB] } });
    await fa.settled();
    expect(receiver.events().map((event) => [event.type, event.user.id])).toEqual([
      ['user.delete', ALICE],
      ['user.delete', BOB],
    ]);
    expect(fa.transactions).toEqual([
      { operation: 'user.bulk.delete', eventType: 'user.delete', userIds: [ALICE, BOB], committed: false },
      { operation: 'user.bulk.delete', eventType: 'user.delete', userIds: [ALICE, BOB], committed: true },
    ]);
    expect(await call(fa, 'DELETE', `/api/user/bulk?userId=${MISSING}`)).toMatchObject({ status: 200, body: { dryRun: false, hardDelete: false, total: 0 } });
  });

  test('a delete without hardDelete deactivates: user.deactivate, and the user stays, inactive', async () => {
    const { fa, receiver } = await world();

    expect(await call(fa, 'DELETE', `/api/user/${ALICE}`)).toMatchObject({ status: 200, body: '' });
    await fa.settled();
    expect(types(receiver)).toEqual(['user.deactivate']);
    expect(receiver.events()[0]).toMatchObject({ linkedObjectId: ALICE, user: { id: ALICE, active: false } });
    expect((await call(fa, 'GET', `/api/user/${ALICE}`)).body.user).toMatchObject({ id: ALICE, active: false });
    expect(fa.transactions).toMatchObject([{ operation: 'user.deactivate', eventType: 'user.deactivate', committed: true }]);
  });

  test('a registration delete: user.registration.delete, then .complete; only that registration goes', async () => {
    const { fa, receiver } = await world();

    expect(await call(fa, 'DELETE', `/api/user/registration/${ALICE}/${TODO_APP}`)).toMatchObject({ status: 200, body: '' });
    await fa.settled();
    expect(types(receiver)).toEqual(['user.registration.delete', 'user.registration.delete.complete']);
    const [deleted, complete] = receiver.events();
    expect(deleted).toMatchObject({ applicationId: TODO_APP, registration: { applicationId: TODO_APP, id: expect.stringMatching(UUID) }, tenantId: TENANT, user: { id: ALICE } });
    expect(deleted!.user.registrations).toHaveLength(2);
    expect(complete).toMatchObject({ applicationId: TODO_APP, registration: { id: deleted!.registration!.id } });
    expect(complete!.user.registrations!.map((registration) => registration.applicationId)).toEqual([OTHER_APP]);
    expect((await call(fa, 'GET', `/api/user/${ALICE}`)).body.user.registrations).toMatchObject([{ applicationId: OTHER_APP }]);
    expect((await call(fa, 'DELETE', `/api/user/registration/${ALICE}/${TODO_APP}`)).status).toBe(404);
  });

  test('creating a user and a registration through the API fires user.create and user.registration.create', async () => {
    const { fa, receiver } = await world();

    expect(await call(fa, 'POST', '/api/user', { body: { user: { email: 'dan@example.com' } } })).toMatchObject({ status: 400, body: { generalErrors: [{ code: '[TenantIdRequired]' }] } });
    const created = await call(fa, 'POST', '/api/user', { body: { user: { email: 'dan@example.com', password: 'secret-password' } }, tenantId: TENANT });
    expect(created).toMatchObject({ status: 200, body: { user: { email: 'dan@example.com', tenantId: TENANT, active: true, registrations: [] } } });
    expect(created.body.user.password).toBeUndefined();
    const id: string = created.body.user.id;
    const registered = await call(fa, 'POST', `/api/user/registration/${id}`, { body: { registration: { applicationId: TODO_APP } } });
    expect(registered).toMatchObject({ status: 200, body: { registration: { applicationId: TODO_APP, id: expect.stringMatching(UUID) } } });
    expect((await call(fa, 'GET', `/api/user/${id}`)).body.user.registrations).toMatchObject([{ applicationId: TODO_APP }]);
    await fa.settled();
    expect(types(receiver)).toEqual(['user.create', 'user.create.complete', 'user.registration.create', 'user.registration.create.complete']);
  });
});

describe('reading users, and API keys', () => {
  test('GET a user with registrations, 404 with an empty body for none; search by ids finds those that exist', async () => {
    const { fa } = await world();

    const alice = await call(fa, 'GET', `/api/user/${ALICE}`);
    expect(alice).toMatchObject({ status: 200, body: { user: { id: ALICE, registrations: [{ applicationId: TODO_APP }, { applicationId: OTHER_APP }] } } });
    expect(alice.headers.get('content-type')).toBe('application/json;charset=UTF-8');
    expect(await call(fa, 'GET', `/api/user/${MISSING}`)).toMatchObject({ status: 404, body: '' });

    const found = await call(fa, 'POST', '/api/user/search', { body: { search: { ids: [ALICE, MISSING, CAROL] } } });
    expect(found.body.total).toBe(2);
    expect(found.body.users.map((user: User) => user.id)).toEqual([ALICE, CAROL]);
    const byQuery = await call(fa, 'GET', '/api/user/search?queryString=*&numberOfResults=2&startRow=1');
    expect(byQuery.body.total).toBe(3);
    expect(byQuery.body.users.map((user: User) => user.id)).toEqual([BOB, CAROL]);
    expect((await call(fa, 'POST', '/api/user/search', { body: { search: { queryString: 'CAROL' } } })).body.users).toMatchObject([{ id: CAROL }]);
  });

  test('a tenant-locked key and X-FusionAuth-TenantId: another tenant\'s user is not found, and left out of searches', async () => {
    const { fa } = await world({ setup: { apiKeys: [{ key: 'tenant-key-0123456789', tenantId: TENANT }] } });
    const locked = { key: 'tenant-key-0123456789' };

    expect((await call(fa, 'GET', `/api/user/${ALICE}`, locked)).status).toBe(200);
    expect(await call(fa, 'GET', `/api/user/${CAROL}`, locked)).toMatchObject({ status: 404, body: '' });
    expect(await call(fa, 'DELETE', `/api/user/${CAROL}?hardDelete=true`, locked)).toMatchObject({ status: 404, body: '' });
    const search = await call(fa, 'POST', '/api/user/search', { ...locked, body: { search: { ids: [ALICE, CAROL] } } });
    expect(search.body).toMatchObject({ total: 1, users: [{ id: ALICE }] });
    expect((await call(fa, 'GET', `/api/user/${ALICE}`, { ...locked, tenantId: TENANT })).status).toBe(200);
    expect(await call(fa, 'GET', `/api/user/${ALICE}`, { ...locked, tenantId: OTHER_TENANT })).toMatchObject({ status: 401, body: '' });
    expect((await call(fa, 'GET', `/api/tenant/${OTHER_TENANT}`, locked)).status).toBe(404);

    // The superuser key scoped by the header sees that tenant only.
    expect((await call(fa, 'GET', `/api/user/${ALICE}`, { tenantId: OTHER_TENANT })).status).toBe(404);
    expect((await call(fa, 'GET', `/api/user/${CAROL}`, { tenantId: OTHER_TENANT })).status).toBe(200);
    expect(fa.users.has(CAROL)).toBe(true);
  });

  test('a key permitted GET /api/user: may retrieve a user, and nothing else, not even /api/user/search', async () => {
    const { fa } = await world({ setup: { apiKeys: [{ key: 'read-only-key-0123456789', permissions: { endpoints: { '/api/user': ['GET'] } } }] } });
    const readOnly = { key: 'read-only-key-0123456789' };

    expect((await call(fa, 'GET', `/api/user/${ALICE}`, readOnly)).status).toBe(200);
    for (const [method, path, body] of [
      ['DELETE', `/api/user/${ALICE}?hardDelete=true`, undefined],
      ['POST', '/api/user/search', { search: { ids: [ALICE] } }],
      ['DELETE', `/api/user/registration/${ALICE}/${TODO_APP}`, undefined],
      ['GET', '/api/webhook', undefined],
      ['POST', '/api/api-key', { apiKey: {} }],
    ] as const) {
      expect(await call(fa, method, path, { ...readOnly, body }), `${method} ${path}`).toMatchObject({ status: 401, body: '' });
    }
    expect(await call(fa, 'GET', `/api/user/${ALICE}`, { key: 'no-such-key' })).toMatchObject({ status: 401, body: '' });
    expect(fa.users.has(ALICE)).toBe(true);
  });

  test('POST /api/api-key: a key manager creates a limited, tenant-locked key that then works; other keys may not, nor hand out more', async () => {
    const { fa } = await world({
      setup: {
        apiKeys: [
          { key: 'plain-key-0123456789' },
          { key: 'limited-manager-0123456789', keyManager: true, permissions: { endpoints: { '/api/user': ['GET'] } } },
        ],
      },
    });

    const created = await call(fa, 'POST', '/api/api-key', {
      body: { apiKey: { permissions: { endpoints: { '/api/user': ['GET'], '/api/user/search': ['POST'] } }, tenantId: TENANT, metaData: { attributes: { description: 'webhook checks' } } } },
    });
    expect(created).toMatchObject({
      status: 200,
      body: { apiKey: { id: expect.stringMatching(UUID), key: expect.any(String), keyManager: false, tenantId: TENANT, permissions: { endpoints: { '/api/user': ['GET'] } } } },
    });
    const key: string = created.body.apiKey.key;
    expect((await call(fa, 'GET', `/api/user/${ALICE}`, { key })).status).toBe(200);
    expect((await call(fa, 'GET', `/api/user/${CAROL}`, { key })).status).toBe(404);
    expect((await call(fa, 'POST', '/api/user/search', { key, body: { search: { ids: [ALICE] } } })).body.total).toBe(1);

    const chosen = await call(fa, 'POST', '/api/api-key', { body: { apiKey: { key: 'chosen-key-0123456789' } } });
    expect(chosen.body.apiKey.key).toBe('chosen-key-0123456789');
    expect(await call(fa, 'POST', '/api/api-key', { key: 'plain-key-0123456789', body: { apiKey: {} } })).toMatchObject({ status: 401, body: '' });
    expect((await call(fa, 'POST', '/api/api-key', { key: 'limited-manager-0123456789', body: { apiKey: {} } })).status).toBe(401);
    expect((await call(fa, 'POST', '/api/api-key', { key: 'limited-manager-0123456789', body: { apiKey: { permissions: { endpoints: { '/api/user': ['GET'] } } } } })).status).toBe(200);
    expect(await call(fa, 'POST', '/api/api-key', { body: { apiKey: { tenantId: MISSING } } })).toMatchObject({ status: 400, body: { fieldErrors: { 'apiKey.tenantId': [{ code: '[invalid]apiKey.tenantId' }] } } });
  });
});

describe('test controls and the wire', () => {
  test('faults: the next N requests to a path answer 503 or 429, then the API serves again; down drops every connection', async () => {
    const { fa } = await world();

    fa.faults.fail({ path: '/api/user', method: 'GET', status: 503, times: 2 });
    fa.faults.fail({ path: /^\/api\/user\/search$/, status: 429 });
    for (let i = 0; i < 2; i++) {
      expect(await call(fa, 'GET', `/api/user/${ALICE}`)).toMatchObject({ status: 503, body: { generalErrors: [{ code: expect.stringMatching(/^\[\w+\]$/) }] } });
    }
    expect((await call(fa, 'GET', `/api/user/${ALICE}`)).status).toBe(200);
    const limited = await call(fa, 'POST', '/api/user/search', { body: { search: { ids: [ALICE] } } });
    expect(limited).toMatchObject({ status: 429, body: '' });
    expect(limited.headers.get('retry-after')).toBe('1');

    fa.faults.down = true;
    await expect(call(fa, 'GET', `/api/user/${ALICE}`)).rejects.toThrow();
    fa.faults.down = false;
    expect((await call(fa, 'GET', `/api/user/${ALICE}`)).status).toBe(200);
    expect(fa.requests.map((request) => request.status)).toEqual([503, 503, 200, 429, 0, 200]);
  });

  test("a signed webhook: X-FusionAuth-Signature-JWT verifies with jose over the exact body; the webhook's headers and Basic credentials", async () => {
    const secret = 'hmac-secret-from-key-master-0123456789';
    const { fa, receiver } = await world({
      setup: { signingKeys: { [SIGNING_KEY]: { algorithm: 'HS256', secret } } },
      webhook: {
        headers: { 'X-API-Key': 'webhook-key-0123' },
        httpAuthenticationUsername: 'todo-webhook',
        httpAuthenticationPassword: 'basic-password',
        signatureConfiguration: { enabled: true, signingKeyId: SIGNING_KEY },
      },
    });

    expect((await hardDelete(fa, BOB)).status).toBe(200);
    await fa.settled();
    expect(receiver.deliveries).toHaveLength(2);
    for (const { headers, body } of receiver.deliveries) {
      const token = headers['x-fusionauth-signature-jwt'] as string;
      expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT', kid: SIGNING_KEY });
      const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ['HS256'] });
      expect(payload).toEqual({ request_body_sha256: createHash('sha256').update(body).digest('base64') });
      expect(headers['x-api-key']).toBe('webhook-key-0123');
      expect(headers.authorization).toBe(`Basic ${Buffer.from('todo-webhook:basic-password').toString('base64')}`);
    }
  });

  test('close() ends deliveries in flight and answers no more', async () => {
    const { fa, receiver, webhook } = await world({ respond: () => 'hang', webhook: { readTimeout: 30_000 } });
    const arrived = new Promise<void>((resolve) => {
      receiver.respond = () => {
        resolve();
        return 'hang';
      };
    });

    const deleting = hardDelete(fa, ALICE).catch((error: unknown) => error);
    await arrived;
    await fa.close();
    expect(await deleting).toBeInstanceOf(Error);
    expect(outcomes(fa, webhook)).toEqual(['error']);
    expect(fa.users.has(ALICE)).toBe(true);
  });
});
