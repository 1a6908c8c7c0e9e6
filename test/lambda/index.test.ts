import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { addTodos, countTodos } from '../../local/todo-admin.ts';
import { httpApiEvent, passportEvent } from '../support/events.ts';
import { type FakeSecretsManager, startFakeSecretsManager } from '../support/fake-secrets-manager.ts';
import { startTodoTable, type TestTodoTable } from '../support/todo-table.ts';

// The Lambda entry exactly as deployed: configured by its environment, imported fresh each time
// as a new container would.
let todos: TestTodoTable;
let secrets: FakeSecretsManager;

beforeAll(async () => {
  todos = await startTodoTable();
  secrets = await startFakeSecretsManager({ 'arn:aws:secretsmanager:us-east-1:000000000000:secret:keys': 'deployed-key' });
});
afterAll(async () => {
  await todos.close();
  await secrets.close();
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

const entry = async (env: Record<string, string>) => {
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', todos.dynamoDb.endpoint);
  vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', secrets.endpoint);
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  return (await import('../../lambda/index.ts')).handler;
};

const deleteEvent = (userId: string, key: string) =>
  httpApiEvent({ body: passportEvent({ type: 'user.delete', user: { id: userId } }), headers: { authorization: key } });

describe('lambda/index.ts', () => {
  it('deletes Todos with keys from WEBHOOK_API_KEYS', async () => {
    await addTodos(todos.client, todos.table, 'env-user', 4);
    const handler = await entry({ TODO_TABLE_NAME: 'Todos', WEBHOOK_API_KEYS: 'local-key' });
    expect((await handler(deleteEvent('env-user', 'local-key'))).statusCode).toBe(200);
    expect(await countTodos(todos.client, todos.table, 'env-user')).toBe(0);
  });

  it('deletes Todos with keys from the Secrets Manager secret', async () => {
    await addTodos(todos.client, todos.table, 'secret-user', 4);
    const handler = await entry({
      TODO_TABLE_NAME: 'Todos',
      WEBHOOK_API_KEYS: '',
      API_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:keys',
    });
    expect((await handler(deleteEvent('secret-user', 'wrong'))).statusCode).toBe(401);
    expect((await handler(deleteEvent('secret-user', 'deployed-key'))).statusCode).toBe(200);
    expect(await countTodos(todos.client, todos.table, 'secret-user')).toBe(0);
  });

  it('fails at init, naming the missing setting, when it cannot work', async () => {
    await expect(entry({ TODO_TABLE_NAME: '', WEBHOOK_API_KEYS: 'k' })).rejects.toThrow(/TODO_TABLE_NAME is not set/);
  });
});
