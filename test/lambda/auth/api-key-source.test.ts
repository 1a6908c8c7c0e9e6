import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretApiKeys, staticApiKeys } from '../../../lambda/auth/api-key-source.ts';
import { apiKeyAuthenticator } from '../../../lambda/auth/authenticate.ts';
import { CredentialsUnavailableError } from '../../../lambda/errors.ts';
import { httpApiEvent, passportEvent } from '../../support/events.ts';
import { type FakeSecretsManager, startFakeSecretsManager } from '../../support/fake-secrets-manager.ts';
import { startTodoTable, type TestTodoTable } from '../../support/todo-table.ts';
import { captureLogs, testWebhook } from '../../support/webhook.ts';

let secrets: FakeSecretsManager;
let todos: TestTodoTable;

beforeAll(async () => {
  secrets = await startFakeSecretsManager();
  // Powertools' Secrets Manager client is created on first use, through the SDK's endpoint setting.
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
  todos = await startTodoTable();
});
afterAll(async () => {
  await secrets.close();
  await todos.close();
});

describe('secretApiKeys', () => {
  it('reads the keys from the secret, once per cache period', async () => {
    secrets.secrets.set('cached', 'key-one, key-two');
    const source = secretApiKeys('cached', 300);
    expect(await source.keys()).toEqual(['key-one', 'key-two']);
    expect(await source.keys()).toEqual(['key-one', 'key-two']);
    expect(secrets.calls.filter((id) => id === 'cached')).toHaveLength(1);
  });

  it('sees a rotated secret once its cache period is over', async () => {
    secrets.secrets.set('rotating', 'old');
    const source = secretApiKeys('rotating', 0);
    expect(await source.keys()).toEqual(['old']);
    secrets.secrets.set('rotating', 'new,old');
    expect(await source.keys()).toEqual(['new', 'old']);
  });

  it.each([
    ['a secret that does not exist', 'missing', undefined],
    ['a secret that lists no key', 'blank', ' , '],
  ])('fails with CredentialsUnavailableError for %s', async (_, id, value) => {
    if (value !== undefined) secrets.secrets.set(id, value);
    await expect(secretApiKeys(id, 300).keys()).rejects.toBeInstanceOf(CredentialsUnavailableError);
  });

  it('fails with CredentialsUnavailableError when Secrets Manager is down', async () => {
    secrets.secrets.set('outage', 'k');
    secrets.failWith = 500;
    try {
      await expect(secretApiKeys('outage', 300).keys()).rejects.toBeInstanceOf(CredentialsUnavailableError);
    } finally {
      secrets.failWith = undefined;
    }
  });
});

describe('the handler with keys from Secrets Manager', () => {
  it('accepts a key listed in the secret', async () => {
    secrets.secrets.set('webhook-keys', 'from-the-secret');
    const handler = testWebhook(todos, { authenticate: apiKeyAuthenticator(secretApiKeys('webhook-keys', 300)) });
    const response = await handler(httpApiEvent({ body: passportEvent({ type: 'test' }), headers: { authorization: 'from-the-secret' } }));
    expect(response.statusCode).toBe(200);
  });

  it('answers 500 when the keys cannot be loaded, and the log says why without a key', async () => {
    const handler = testWebhook(todos, {
      authenticate: apiKeyAuthenticator(secretApiKeys('no-such-secret', 300)),
      logger: new Logger({ serviceName: 'test', logLevel: 'INFO' }),
    });
    let response: Awaited<ReturnType<typeof handler>> | undefined;
    const lines = await captureLogs(async () => {
      response = await handler(httpApiEvent({ body: passportEvent({ type: 'test' }), headers: { authorization: 'some-key' } }));
    });
    expect(response?.statusCode).toBe(500);
    expect(JSON.parse(response!.body)).toEqual({ errors: [{ code: '[credentialsUnavailable]', message: expect.any(String) }] });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'ERROR',
      message: 'delivery',
      status: 500,
      outcome: 'failed',
      error: { reason: 'the API key secret could not be read', cause: { message: expect.stringContaining("can't find the specified secret") } },
    });
    expect(JSON.stringify(lines)).not.toContain('some-key');
  });

  it('refuses a request without a credential without loading the keys', async () => {
    const before = secrets.calls.length;
    const handler = testWebhook(todos, { authenticate: apiKeyAuthenticator(secretApiKeys('never-read', 300)) });
    const response = await handler(httpApiEvent({ body: passportEvent({ type: 'test' }) }));
    expect(response.statusCode).toBe(401);
    expect(secrets.calls.length).toBe(before);
  });
});

describe('staticApiKeys', () => {
  it('returns the keys it was given', async () => {
    expect(await staticApiKeys(['a', 'b']).keys()).toEqual(['a', 'b']);
  });
});
