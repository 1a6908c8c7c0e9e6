import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addTodos, countTodos } from '../../local/todo-admin.ts';
import { snapshot } from '../support/dynamo.ts';
import { httpApiEvent, passportEvent, restApiEvent } from '../support/events.ts';
import { type LocalWebhook, startLocalWebhook, TEST_KEY, TODO_APP } from '../support/local-webhook.ts';

let webhook: LocalWebhook;

beforeAll(async () => {
  webhook = await startLocalWebhook();
});
afterAll(() => webhook.close());

const invoke = (body: string, headers: Record<string, string> = { authorization: TEST_KEY }) => webhook.handler(httpApiEvent({ body, headers }));
const json = (response: { body: string }) => JSON.parse(response.body) as unknown;
const todos = () => snapshot(webhook.client, 'Todos');
const count = (userId: string) => countTodos(webhook.client, webhook.targets[0]!, { userId });
let users = 0;
/** A fresh user with three Todos beside a neighbour with two, for each test. */
let alice: string;
let bob: string;

beforeEach(async () => {
  users += 1;
  alice = `alice-${users}`;
  bob = `bob-${users}`;
  await addTodos(webhook.client, webhook.targets[0]!, { userId: alice }, 3);
  await addTodos(webhook.client, webhook.targets[0]!, { userId: bob }, 2);
});

describe('the webhook', () => {
  it('accepts a user.delete without touching a Todo: FusionAuth has not committed yet', async () => {
    const before = await todos();
    const response = await invoke(passportEvent({ type: 'user.delete', id: `e-${users}`, user: { id: alice } }));
    expect(response).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"status":"accepted","type":"user.delete"}',
    });
    expect(await todos()).toEqual(before);
    expect(await webhook.ledger.get(alice, 'user')).toMatchObject({ state: 'requested', cycle: 1 });
  });

  it('erases the user on user.delete.complete, and only theirs', async () => {
    const before = await todos();
    const response = await invoke(passportEvent({ type: 'user.delete.complete', id: `c-${users}`, user: { id: alice } }));
    expect(json(response)).toEqual({ status: 'handled', type: 'user.delete.complete' });
    const after = await todos();
    expect(after).toEqual(before.filter((item) => !item.includes(`"${alice}"`)));
    expect(after).toHaveLength(before.length - 3);
    expect(await webhook.ledger.get(alice, 'user')).toMatchObject({ state: 'erased', confirmedBy: 'complete-event', todosDeleted: 3, deletedByTarget: { Todos: 3 } });
  });

  it('answers a redelivery of the same event 200 and records it once', async () => {
    const body = passportEvent({ type: 'user.delete', id: `r-${users}`, user: { id: alice } });
    expect(json(await invoke(body))).toEqual({ status: 'accepted', type: 'user.delete' });
    expect(json(await invoke(body))).toEqual({ status: 'accepted', type: 'user.delete' });
    expect((await webhook.ledger.get(alice, 'user'))!.events).toHaveLength(1);
  });

  it('refuses the same event id with another body: 409, nothing recorded from it', async () => {
    await invoke(passportEvent({ type: 'user.delete', id: `f-${users}`, user: { id: alice } }));
    const forged = await invoke(passportEvent({ type: 'user.delete', id: `f-${users}`, user: { id: alice }, extra: 'changed' }));
    expect(forged.statusCode).toBe(409);
    expect(json(forged)).toEqual({ errors: [{ code: '[conflict]event.id', message: expect.any(String) }] });
    expect((await webhook.ledger.get(alice, 'user'))!.events).toHaveLength(1);
  });

  it('works behind a REST API (payload 1.0) with a base64 body', async () => {
    const body = Buffer.from(passportEvent({ type: 'user.delete.complete', user: { id: alice } })).toString('base64');
    const response = await webhook.handler(restApiEvent({ body, headers: { Authorization: TEST_KEY }, isBase64Encoded: true }));
    expect(response.statusCode).toBe(200);
    expect(await count(alice)).toBe(0);
  });

  describe('user.registration.delete', () => {
    it('is accepted for the Todo application, and its .complete erases', async () => {
      const accepted = await invoke(passportEvent({ type: 'user.registration.delete', applicationId: TODO_APP, user: { id: alice } }));
      expect(json(accepted)).toEqual({ status: 'accepted', type: 'user.registration.delete' });
      expect(await count(alice)).toBe(3);
      const erased = await invoke(passportEvent({ type: 'user.registration.delete.complete', applicationId: TODO_APP, user: { id: alice } }));
      expect(json(erased)).toEqual({ status: 'handled', type: 'user.registration.delete.complete' });
      expect(await count(alice)).toBe(0);
      expect(await count(bob)).toBe(2);
      expect(await webhook.ledger.get(alice, 'registration')).toMatchObject({ state: 'erased' });
    });

    it('matches the application id whatever its case, and takes the registration\'s when the event has none', async () => {
      const upper = await invoke(passportEvent({ type: 'user.registration.delete', applicationId: TODO_APP.toUpperCase(), user: { id: alice } }));
      expect(json(upper)).toEqual({ status: 'accepted', type: 'user.registration.delete' });
      const fromRegistration = await invoke(passportEvent({ type: 'user.registration.delete', registration: { applicationId: TODO_APP }, user: { id: bob } }));
      expect(json(fromRegistration)).toEqual({ status: 'accepted', type: 'user.registration.delete' });
    });

    it('ignores another application', async () => {
      const before = await todos();
      for (const type of ['user.registration.delete', 'user.registration.delete.complete']) {
        const response = await invoke(passportEvent({ type, applicationId: '10000000-0000-0002-0000-000000000001', user: { id: alice } }));
        expect(json(response)).toEqual({ status: 'ignored', type });
      }
      expect(await todos()).toEqual(before);
      expect(await webhook.ledger.get(alice, 'registration')).toBeUndefined();
    });

    it('ignores every registration when no Todo application is configured', async () => {
      const unconfigured = await startLocalWebhook({ dynamo: webhook.dynamo, env: { TODO_APPLICATION_ID: '' } });
      try {
        const before = await todos();
        const body = passportEvent({ type: 'user.registration.delete.complete', applicationId: TODO_APP, user: { id: alice } });
        const response = await unconfigured.handler(httpApiEvent({ body, headers: { authorization: TEST_KEY } }));
        expect(json(response)).toEqual({ status: 'ignored', type: 'user.registration.delete.complete' });
        expect(await todos()).toEqual(before);
      } finally {
        await unconfigured.close();
      }
    });

    it.each([
      [{ user: { id: 'alice' } }, '[missing]event.applicationId'],
      [{ applicationId: 42, user: { id: 'alice' } }, '[invalid]event.applicationId'],
      [{ applicationId: TODO_APP }, '[missing]event.user.id'],
      [{ applicationId: TODO_APP, user: { id: '' } }, '[invalid]event.user.id'],
    ])('refuses %j with 400 %s', async (fields, code) => {
      const response = await invoke(passportEvent({ type: 'user.registration.delete', ...fields }));
      expect(response.statusCode).toBe(400);
      expect(json(response)).toMatchObject({ errors: [{ code }] });
    });
  });

  it.each(['test', 'user.create', 'user.deactivate', 'user.login.success', 'jwt.refresh', 'some.future.type', 'constructor', '__proto__', 'toString'])(
    'answers 200 ignored to %s and touches nothing',
    async (type) => {
      const before = await todos();
      const response = await invoke(passportEvent({ type, user: { id: alice } }));
      expect(response.statusCode).toBe(200);
      expect(json(response)).toEqual({ status: 'ignored', type });
      expect(await todos()).toEqual(before);
      expect(await webhook.ledger.get(alice, 'user')).toBeUndefined();
    },
  );

  describe('refusals', () => {
    it.each([
      ['no header', {}],
      ['an empty header', { authorization: '' }],
      ['a wrong key', { authorization: 'wrong' }],
      ['a Bearer prefix', { authorization: `Bearer ${TEST_KEY}` }],
      ['the key in another header', { 'x-api-key': TEST_KEY }],
    ])('answers 401 to %s and touches nothing', async (_, headers) => {
      const before = await todos();
      const response = await invoke(passportEvent({ type: 'user.delete.complete', user: { id: alice } }), headers);
      expect(response.statusCode).toBe(401);
      expect(response.headers['content-type']).toBe('application/json');
      expect(json(response)).toEqual({ errors: [{ code: '[notAuthorized]', message: expect.any(String) }] });
      expect(await todos()).toEqual(before);
    });

    it('checks the key before the body: a bad key with a bad body is 401', async () => {
      expect((await invoke('not json', { authorization: 'wrong' })).statusCode).toBe(401);
      expect((await invoke('x'.repeat(2 * 1024 * 1024), { authorization: 'wrong' })).statusCode).toBe(401);
    });

    it('answers 400 [invalidJSON] to a body that is not JSON', async () => {
      const response = await invoke('{"event": {');
      expect(response.statusCode).toBe(400);
      expect(json(response)).toEqual({ errors: [{ code: '[invalidJSON]', message: expect.any(String) }] });
    });

    it.each([
      [{}, '[missing]event.user.id'],
      [{ user: null }, '[missing]event.user.id'],
      [{ user: {} }, '[missing]event.user.id'],
      [{ user: { id: '' } }, '[invalid]event.user.id'],
      [{ user: { id: 7 } }, '[invalid]event.user.id'],
      [{ user: 'alice' }, '[missing]event.user.id'],
    ])('answers a user.delete with %j 400 %s, recording nothing', async (fields, code) => {
      const response = await invoke(passportEvent({ type: 'user.delete', ...fields }));
      expect(response.statusCode).toBe(400);
      expect(json(response)).toEqual({ errors: [{ code, message: expect.stringContaining('event.user.id') }] });
      expect(await snapshot(webhook.client, 'Erasures')).not.toContainEqual(expect.stringContaining('"7"'));
    });

    it('answers 413 to a body over 1 MiB', async () => {
      const response = await invoke(passportEvent({ type: 'test', padding: 'x'.repeat(1024 * 1024) }));
      expect(response.statusCode).toBe(413);
      expect(json(response)).toMatchObject({ errors: [{ code: '[tooLarge]' }] });
    });

    it('answers 405 to a GET (npm start; deployed, API Gateway routes only POST)', async () => {
      const response = await webhook.handler(httpApiEvent({ method: 'GET', headers: { authorization: TEST_KEY } }));
      expect(response.statusCode).toBe(405);
      expect(json(response)).toMatchObject({ errors: [{ code: '[methodNotAllowed]' }] });
    });
  });
});
