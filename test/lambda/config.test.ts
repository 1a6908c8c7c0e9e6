import { describe, expect, it } from 'vitest';
import { readWebhookConfig as readConfig } from '../../lambda/config.ts';
import { ConfigurationError } from '../../lambda/errors.ts';
import { thrown } from '../support/thrown.ts';

const BASE = { TODO_TABLE_NAME: 'Todos', ERASURE_LEDGER_TABLE_NAME: 'Erasures' };

describe('readConfig', () => {
  it('reads the targets, the ledger, the erasure settings and the API keys from the environment', () => {
    const config = readConfig({
      ...BASE,
      TODO_USER_ID_ATTRIBUTE: 'owner',
      TODO_SORT_KEY_ATTRIBUTE: 'item',
      TODO_APPLICATION_ID: 'app',
      WEBHOOK_API_KEYS: 'a, b',
    });
    expect(config).toMatchObject({
      ledgerTableName: 'Erasures',
      queueUrl: undefined,
      inlineBudgetMs: 1000,
      indexSettleMs: 1000,
      eraseBeforeCommit: false,
      fusionAuth: undefined,
      settings: { confirmDelaySeconds: 10, windowSeconds: 3600, retentionSeconds: 365 * 24 * 3600, todoApplicationId: 'app', secondPassSeconds: 'when-indexed' },
      auth: { apiKey: { header: 'authorization', keys: { source: 'environment', values: ['a', 'b'] } } },
    });
    expect(config.targets.shorthand).toEqual({ tableName: 'Todos', userIdAttribute: 'owner', sortKeyAttribute: 'item' });
  });

  it('reads the queue, the budget, the window and the opt-out', () => {
    expect(
      readConfig({
        ...BASE,
        WEBHOOK_API_KEYS: 'k',
        DELETION_QUEUE_URL: 'https://sqs/q',
        DELETE_BUDGET_MS: '1500',
        ERASURE_CONFIRM_DELAY_SECONDS: '30',
        ERASURE_CONFIRM_WINDOW_SECONDS: '7200',
        ERASURE_RETENTION_DAYS: '30',
        ERASURE_SECOND_PASS_SECONDS: '0',
        ERASE_BEFORE_COMMIT: 'true',
      }),
    ).toMatchObject({
      queueUrl: 'https://sqs/q',
      inlineBudgetMs: 1500,
      eraseBeforeCommit: true,
      settings: { confirmDelaySeconds: 30, windowSeconds: 7200, retentionSeconds: 30 * 24 * 3600, secondPassSeconds: 0 },
    });
  });

  it('reads FusionAuth\'s API: the key from the environment, or from a secret', () => {
    expect(readConfig({ ...BASE, WEBHOOK_API_KEYS: 'k', FUSIONAUTH_URL: 'https://auth.example.com', FUSIONAUTH_API_KEY: 'fa' }).fusionAuth).toEqual({
      url: 'https://auth.example.com',
      apiKey: { source: 'environment', values: ['fa'] },
    });
    expect(readConfig({ ...BASE, WEBHOOK_API_KEYS: 'k', FUSIONAUTH_URL: 'http://localhost:9011', FUSIONAUTH_API_KEY_SECRET_ARN: 'arn:fa' }).fusionAuth).toEqual({
      url: 'http://localhost:9011',
      apiKey: { source: 'secret', secretId: 'arn:fa', maxAgeSeconds: 300 },
    });
  });

  it('uses the secret when WEBHOOK_API_KEYS is empty, as the stack declares it', () => {
    expect(readConfig({ ...BASE, WEBHOOK_API_KEYS: '', API_KEY_SECRET_ARN: 'arn:secret' }).auth.apiKey?.keys).toEqual({
      source: 'secret',
      secretId: 'arn:secret',
      maxAgeSeconds: 300,
    });
    expect(readConfig({ ...BASE, API_KEY_SECRET_ARN: 's', SECRET_CACHE_SECONDS: '60' }).auth.apiKey?.keys).toMatchObject({
      maxAgeSeconds: 60,
    });
  });

  describe('authentication modes', () => {
    it('requires every mode WEBHOOK_AUTH lists, each with its source', () => {
      const config = readConfig({
        ...BASE,
        WEBHOOK_AUTH: 'api-key, signature, basic',
        WEBHOOK_API_KEY_HEADER: 'X-Api-Key',
        WEBHOOK_API_KEYS: 'k',
        WEBHOOK_BASIC_AUTH: 'passport:s3cr,et',
        WEBHOOK_SIGNING_KEYS: 'hmac-one,hmac-two',
        WEBHOOK_JWKS_URL: 'https://auth.example.com/.well-known/jwks.json',
        WEBHOOK_SIGNATURE_ALGORITHMS: 'HS256,RS256,ES256',
      });
      expect(config.auth).toEqual({
        apiKey: { header: 'x-api-key', keys: { source: 'environment', values: ['k'] } },
        basic: { source: 'environment', values: ['passport:s3cr,et'] },
        signature: {
          algorithms: ['HS256', 'RS256', 'ES256'],
          hmacSecrets: { source: 'environment', values: ['hmac-one', 'hmac-two'] },
          jwksUrl: 'https://auth.example.com/.well-known/jwks.json',
          jwksFile: undefined,
        },
      });
    });

    it('takes signature alone, with keys from a secret and the algorithm FusionAuth defaults to', () => {
      expect(readConfig({ ...BASE, WEBHOOK_AUTH: 'signature', SIGNING_KEY_SECRET_ARN: 'arn:signing' }).auth).toEqual({
        apiKey: undefined,
        basic: undefined,
        signature: {
          algorithms: ['HS256'],
          hmacSecrets: { source: 'secret', secretId: 'arn:signing', maxAgeSeconds: 300 },
          jwksUrl: undefined,
          jwksFile: undefined,
        },
      });
      expect(readConfig({ ...BASE, WEBHOOK_AUTH: 'signature', WEBHOOK_JWKS_FILE: 'jwks.json' }).auth.signature?.algorithms).toEqual(['RS256']);
    });

    it.each([
      [{ WEBHOOK_AUTH: 'api-key,token' }, /WEBHOOK_AUTH lists "token"/],
      [{ WEBHOOK_AUTH: ' , ' }, /WEBHOOK_AUTH lists no mode/],
      [{ WEBHOOK_AUTH: 'signature' }, /requires signature, but no key is configured/],
      [{ WEBHOOK_AUTH: 'basic' }, /requires basic, but no credential/],
      [{ WEBHOOK_AUTH: 'basic', WEBHOOK_BASIC_AUTH: 'no-colon' }, /user:password/],
      [{ WEBHOOK_AUTH: 'api-key,basic', WEBHOOK_API_KEYS: 'k', WEBHOOK_BASIC_AUTH: 'u:p' }, /WEBHOOK_API_KEY_HEADER/],
      [{ WEBHOOK_AUTH: 'signature', WEBHOOK_SIGNING_KEYS: 's', WEBHOOK_SIGNATURE_ALGORITHMS: 'none' }, /lists "none"/],
      [{ WEBHOOK_AUTH: 'signature', WEBHOOK_SIGNING_KEYS: 's', WEBHOOK_SIGNATURE_ALGORITHMS: 'RS256' }, /RS256 needs public keys/],
      [{ WEBHOOK_AUTH: 'signature', WEBHOOK_JWKS_URL: 'https://x/jwks', WEBHOOK_SIGNATURE_ALGORITHMS: 'HS256' }, /HS256 needs an HMAC secret/],
      [{ WEBHOOK_AUTH: 'signature', WEBHOOK_JWKS_URL: 'file:///etc/passwd' }, /WEBHOOK_JWKS_URL must be an https URL/],
      [{ WEBHOOK_AUTH: 'signature', WEBHOOK_JWKS_URL: 'http://auth.example.com/.well-known/jwks.json' }, /WEBHOOK_JWKS_URL must be an https URL \(http only to localhost\)/],
      [{ WEBHOOK_AUTH: 'signature', WEBHOOK_SIGNING_KEYS: 's', WEBHOOK_SIGNATURE_ALGORITHMS: ' , ' }, /WEBHOOK_SIGNATURE_ALGORITHMS lists none/],
    ])('refuses %j at start with a clear message', (env, message) => {
      const error = thrown(() => readConfig({ ...BASE, ...env }));
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toMatch(message);
    });
  });

  it.each([
    [{ ERASURE_LEDGER_TABLE_NAME: 'E', WEBHOOK_API_KEYS: 'k' }, /Neither DELETION_TARGETS nor TODO_TABLE_NAME is set/],
    [{ TODO_TABLE_NAME: ' ', ERASURE_LEDGER_TABLE_NAME: 'E', WEBHOOK_API_KEYS: 'k' }, /TODO_TABLE_NAME/],
    [{ TODO_TABLE_NAME: 'T', WEBHOOK_API_KEYS: 'k' }, /ERASURE_LEDGER_TABLE_NAME is not set/],
    [{ ...BASE }, /WEBHOOK_API_KEYS or API_KEY_SECRET_ARN/],
    [{ ...BASE, WEBHOOK_API_KEYS: ' , ' }, /WEBHOOK_API_KEYS lists nothing/],
    [{ ...BASE, API_KEY_SECRET_ARN: 's', SECRET_CACHE_SECONDS: 'soon' }, /SECRET_CACHE_SECONDS/],
    [{ ...BASE, API_KEY_SECRET_ARN: 's', SECRET_CACHE_SECONDS: '0' }, /SECRET_CACHE_SECONDS must be at least 1: with 0 every request would read the secret/],
    [{ ...BASE, WEBHOOK_API_KEYS: 'k', IDEMPOTENCY_TABLE_NAME: 'I' }, /IDEMPOTENCY_TABLE_NAME is no longer read: the erasure ledger dedupes/],
    [{ ...BASE, WEBHOOK_API_KEYS: 'k', DELETE_BUDGET_MS: '1.5' }, /DELETE_BUDGET_MS must be a whole number of milliseconds/],
    [{ ...BASE, WEBHOOK_API_KEYS: 'k', ERASURE_CONFIRM_WINDOW_SECONDS: '0' }, /ERASURE_CONFIRM_WINDOW_SECONDS must be from 1 to 172800/],
    [{ ...BASE, WEBHOOK_API_KEYS: 'k', ERASURE_CONFIRM_DELAY_SECONDS: '901' }, /ERASURE_CONFIRM_DELAY_SECONDS must be at most 900/],
    [{ ...BASE, WEBHOOK_API_KEYS: 'k', ERASURE_SECOND_PASS_SECONDS: '3600' }, /ERASURE_SECOND_PASS_SECONDS must be at most 900/],
    [{ ...BASE, WEBHOOK_API_KEYS: 'k', ERASE_BEFORE_COMMIT: 'yes' }, /ERASE_BEFORE_COMMIT must be true or false/],
    [{ ...BASE, WEBHOOK_API_KEYS: 'k', FUSIONAUTH_URL: 'https://auth.example.com' }, /FUSIONAUTH_URL is set without a key/],
    [{ ...BASE, WEBHOOK_API_KEYS: 'k', FUSIONAUTH_URL: 'https://auth.example.com', FUSIONAUTH_API_KEY: ' , ' }, /FUSIONAUTH_API_KEY lists nothing/],
    [{ ...BASE, WEBHOOK_API_KEYS: 'k', FUSIONAUTH_API_KEY: 'fa' }, /FUSIONAUTH_URL is not: set the URL too/],
    [{ ...BASE, WEBHOOK_API_KEYS: 'k', FUSIONAUTH_URL: 'http://auth.example.com', FUSIONAUTH_API_KEY: 'fa' }, /FUSIONAUTH_URL must be an https URL/],
  ])('refuses %j at start', (env, message) => {
    const error = thrown(() => readConfig(env));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(message);
  });
});
