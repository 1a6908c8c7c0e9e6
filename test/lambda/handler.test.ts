import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WebhookHandler } from '../../lambda/handler.ts';
import { addTodos, countTodos, scanKeys } from '../../local/todo-admin.ts';
import { httpApiEvent, passportEvent, restApiEvent } from '../support/events.ts';
import { startTodoTable, type TestTodoTable } from '../support/todo-table.ts';
import { TEST_KEY, TODO_APP, testWebhook } from '../support/webhook.ts';

let todos: TestTodoTable;
let handler: WebhookHandler;

beforeAll(async () => {
  todos = await startTodoTable();
  handler = testWebhook(todos);
});
afterAll(() => todos.close());

const post = (body: string, headers: Record<string, string> = { authorization: TEST_KEY }) =>
  handler(httpApiEvent({ body, headers }));

const json = (response: { body: string }) => JSON.parse(response.body) as unknown;

describe('the webhook handler', () => {
  beforeEach(async () => {
    await addTodos(todos.client, todos.table, 'alice', 3);
    await addTodos(todos.client, todos.table, 'bob', 2);
  });

  it('deletes the Todos of a deleted user, and only theirs', async () => {
    const before = await scanKeys(todos.client, todos.table);
    const response = await post(passportEvent({ type: 'user.delete', id: 'e1', user: { id: 'alice' } }));
    expect(response).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"status":"handled","type":"user.delete"}',
    });
    expect(await scanKeys(todos.client, todos.table)).toEqual(before.filter((key) => !key.startsWith('alice/')));
  });

  it('answers 200 to a second delivery of the same event', async () => {
    const body = passportEvent({ type: 'user.delete', id: 'e2', user: { id: 'alice' } });
    expect((await post(body)).statusCode).toBe(200);
    expect((await post(body)).statusCode).toBe(200);
    expect(await countTodos(todos.client, todos.table, 'alice')).toBe(0);
  });

  it('works behind a REST API (payload 1.0) with a base64 body', async () => {
    const body = Buffer.from(passportEvent({ type: 'user.delete', user: { id: 'alice' } })).toString('base64');
    const response = await handler(restApiEvent({ body, headers: { Authorization: TEST_KEY }, isBase64Encoded: true }));
    expect(response.statusCode).toBe(200);
    expect(await countTodos(todos.client, todos.table, 'alice')).toBe(0);
  });

  describe('user.registration.delete', () => {
    it('deletes the Todos when the registration was for the Todo application', async () => {
      const response = await post(passportEvent({ type: 'user.registration.delete', applicationId: TODO_APP, user: { id: 'alice' } }));
      expect(json(response)).toEqual({ status: 'handled', type: 'user.registration.delete' });
      expect(await countTodos(todos.client, todos.table, 'alice')).toBe(0);
    });

    it('matches the application id whatever its case', async () => {
      const response = await post(
        passportEvent({ type: 'user.registration.delete', applicationId: TODO_APP.toUpperCase(), user: { id: 'alice' } }),
      );
      expect(json(response)).toEqual({ status: 'handled', type: 'user.registration.delete' });
    });

    it('ignores another application', async () => {
      const before = await scanKeys(todos.client, todos.table);
      const response = await post(
        passportEvent({ type: 'user.registration.delete', applicationId: '10000000-0000-0002-0000-000000000001', user: { id: 'alice' } }),
      );
      expect(json(response)).toEqual({ status: 'ignored', type: 'user.registration.delete' });
      expect(await scanKeys(todos.client, todos.table)).toEqual(before);
    });

    it('ignores every registration when no Todo application is configured', async () => {
      const before = await scanKeys(todos.client, todos.table);
      const unconfigured = testWebhook(todos, { todoApplicationId: undefined });
      const body = passportEvent({ type: 'user.registration.delete', applicationId: TODO_APP, user: { id: 'alice' } });
      const response = await unconfigured(httpApiEvent({ body, headers: { authorization: TEST_KEY } }));
      expect(json(response)).toEqual({ status: 'ignored', type: 'user.registration.delete' });
      expect(await scanKeys(todos.client, todos.table)).toEqual(before);
    });

    it.each([
      [{ user: { id: 'alice' } }, '[missing]event.applicationId'],
      [{ applicationId: 42, user: { id: 'alice' } }, '[invalid]event.applicationId'],
      [{ applicationId: TODO_APP }, '[missing]event.user.id'],
      [{ applicationId: TODO_APP, user: { id: '' } }, '[invalid]event.user.id'],
    ])('refuses %j with 400 %s', async (fields, code) => {
      const response = await post(passportEvent({ type: 'user.registration.delete', ...fields }));
      expect(response.statusCode).toBe(400);
      expect(json(response)).toMatchObject({ errors: [{ code }] });
    });
  });

  it.each(['test', 'user.create', 'user.login.success', 'jwt.refresh', 'some.future.type', 'constructor', '__proto__', 'toString'])(
    'answers 200 ignored to %s and touches nothing',
    async (type) => {
      const before = await scanKeys(todos.client, todos.table);
      const response = await post(passportEvent({ type, user: { id: 'alice' } }));
      expect(response.statusCode).toBe(200);
      expect(json(response)).toEqual({ status: 'ignored', type });
      expect(await scanKeys(todos.client, todos.table)).toEqual(before);
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
      const before = await scanKeys(todos.client, todos.table);
      const response = await post(passportEvent({ type: 'user.delete', user: { id: 'alice' } }), headers);
      expect(response.statusCode).toBe(401);
      expect(response.headers['content-type']).toBe('application/json');
      expect(json(response)).toEqual({ errors: [{ code: '[notAuthorized]', message: expect.any(String) }] });
      expect(await scanKeys(todos.client, todos.table)).toEqual(before);
    });

    it('checks the key before the body: a bad key with a bad body is 401', async () => {
      expect((await post('not json', { authorization: 'wrong' })).statusCode).toBe(401);
      expect((await post('x'.repeat(2 * 1024 * 1024), { authorization: 'wrong' })).statusCode).toBe(401);
    });

    it('answers 400 [invalidJSON] to a body that is not JSON', async () => {
      const response = await post('{"event": {');
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
    ])('answers a user.delete with %j 400 %s, touching nothing', async (fields, code) => {
      const before = await scanKeys(todos.client, todos.table);
      const response = await post(passportEvent({ type: 'user.delete', ...fields }));
      expect(response.statusCode).toBe(400);
      expect(json(response)).toEqual({ errors: [{ code, message: expect.stringContaining('event.user.id') }] });
      expect(await scanKeys(todos.client, todos.table)).toEqual(before);
    });

    it('answers 413 to a body over 1 MiB', async () => {
      const response = await post(passportEvent({ type: 'test', padding: 'x'.repeat(1024 * 1024) }));
      expect(response.statusCode).toBe(413);
      expect(json(response)).toMatchObject({ errors: [{ code: '[tooLarge]' }] });
    });

    it('answers 405 to a GET', async () => {
      const response = await handler(httpApiEvent({ method: 'GET', headers: { authorization: TEST_KEY } }));
      expect(response.statusCode).toBe(405);
      expect(json(response)).toMatchObject({ errors: [{ code: '[methodNotAllowed]' }] });
    });
  });
});
