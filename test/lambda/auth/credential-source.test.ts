import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createAuthenticator } from '../../../lambda/auth/authenticate.ts';
import { credentialSource, parseLines, parseList } from '../../../lambda/auth/credential-source.ts';
import { CredentialsUnavailableError } from '../../../lambda/errors.ts';
import { httpApiEvent, passportEvent } from '../../support/events.ts';
import { type FakeSecretsManager, startFakeSecretsManager } from '../../support/fake-secrets-manager.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../../support/dynamo.ts';
import { startLocalWebhook } from '../../support/local-webhook.ts';
import { captureLogs } from '../../support/logs.ts';

let secrets: FakeSecretsManager;
let dynamo: TestDynamoDb;

beforeAll(async () => {
  secrets = await startFakeSecretsManager();
  // Powertools' Secrets Manager client is created on first use, through the SDK's endpoint setting.
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
  dynamo = await startTestDynamoDb();
});
afterAll(async () => {
  await secrets.close();
  await dynamo.close();
});

const secretKeys = (secretId: string, maxAgeSeconds: number) =>
  credentialSource({ source: 'secret', secretId, maxAgeSeconds }, parseList, 'API key');

/** The webhook's authenticator, with API keys from the secret `secretId`. */
const secretAuth = (secretId: string) =>
  createAuthenticator({ apiKey: { header: 'authorization', keys: { source: 'secret', secretId, maxAgeSeconds: 300 } } });

describe('credentials from a Secrets Manager secret', () => {
  it('reads the keys from the secret, once per cache period', async () => {
    secrets.secrets.set('cached', 'key-one, key-two');
    const source = secretKeys('cached', 300);
    expect(await source.list()).toEqual(['key-one', 'key-two']);
    expect(await source.list()).toEqual(['key-one', 'key-two']);
    expect(secrets.calls.filter((id) => id === 'cached')).toHaveLength(1);
  });

  it('sees a rotated secret once its cache period is over', async () => {
    secrets.secrets.set('rotating', 'old');
    const source = secretKeys('rotating', 0);
    expect(await source.list()).toEqual(['old']);
    secrets.secrets.set('rotating', 'new,old');
    expect(await source.list()).toEqual(['new', 'old']);
  });

  it.each([
    ['a secret that does not exist', 'missing', undefined],
    ['a secret that lists no key', 'blank', ' , '],
  ])('fails with CredentialsUnavailableError for %s', async (_, id, value) => {
    if (value !== undefined) secrets.secrets.set(id, value);
    await expect(secretKeys(id, 300).list()).rejects.toBeInstanceOf(CredentialsUnavailableError);
  });

  it('fails with CredentialsUnavailableError when Secrets Manager is down', async () => {
    secrets.secrets.set('outage', 'k');
    secrets.failWith = 500;
    try {
      await expect(secretKeys('outage', 300).list()).rejects.toBeInstanceOf(CredentialsUnavailableError);
    } finally {
      secrets.failWith = undefined;
    }
  });
});

describe('the handler with keys from Secrets Manager', () => {
  it('accepts a key listed in the secret', async () => {
    secrets.secrets.set('webhook-keys', 'from-the-secret');
    const webhook = await startLocalWebhook({ dynamo, authenticator: secretAuth('webhook-keys') });
    onTestFinished(() => webhook.close());
    const response = await webhook.handler(httpApiEvent({ body: passportEvent({ type: 'test' }), headers: { authorization: 'from-the-secret' } }));
    expect(response.statusCode).toBe(200);
  });

  it('answers 500 when the keys cannot be loaded, and the log says why without a key', async () => {
    const webhook = await startLocalWebhook({ dynamo, authenticator: secretAuth('no-such-secret'), logLevel: 'INFO' });
    onTestFinished(() => webhook.close());
    let response: Awaited<ReturnType<typeof webhook.handler>> | undefined;
    const lines = await captureLogs(async () => {
      response = await webhook.handler(httpApiEvent({ body: passportEvent({ type: 'test' }), headers: { authorization: 'some-key' } }));
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
    const webhook = await startLocalWebhook({ dynamo, authenticator: secretAuth('never-read') });
    onTestFinished(() => webhook.close());
    const response = await webhook.handler(httpApiEvent({ body: passportEvent({ type: 'test' }) }));
    expect(response.statusCode).toBe(401);
    expect(secrets.calls.length).toBe(before);
  });
});

describe('credentials from the environment', () => {
  it('are the values given', async () => {
    expect(await credentialSource({ source: 'environment', values: ['a', 'b'] }, parseList, 'API key').list()).toEqual(['a', 'b']);
  });
});

describe('parsing a list of credentials', () => {
  it('splits keys on commas and newlines and trims each', () => {
    expect(parseList(' a , b\nc\n\n,')).toEqual(['a', 'b', 'c']);
    expect(parseList(' , \n')).toEqual([]);
  });

  it('splits Basic pairs on newlines only, since a password may hold a comma', () => {
    expect(parseLines('user:pa,ss\nother:x\n')).toEqual(['user:pa,ss', 'other:x']);
  });
});
