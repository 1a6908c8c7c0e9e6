import { describe, expect, it } from 'vitest';
import { readConfig } from '../../lambda/config.ts';
import { ConfigurationError } from '../../lambda/errors.ts';
import { thrown } from '../support/thrown.ts';

const BASE = { TODO_TABLE_NAME: 'Todos' };

describe('readConfig', () => {
  it('reads the table, its key names and the API keys from the environment', () => {
    expect(
      readConfig({
        TODO_TABLE_NAME: 'Todos',
        TODO_USER_ID_ATTRIBUTE: 'owner',
        TODO_SORT_KEY_ATTRIBUTE: 'item',
        TODO_APPLICATION_ID: 'app',
        WEBHOOK_API_KEYS: 'a, b',
      }),
    ).toEqual({
      todoTable: { tableName: 'Todos', userIdAttribute: 'owner', sortKeyAttribute: 'item' },
      queueUrl: undefined,
      budgetMs: 1000,
      todoApplicationId: 'app',
      auth: { apiKey: { header: 'authorization', keys: { source: 'environment', values: ['a', 'b'] } } },
      dedupe: undefined,
    });
  });

  it('reads the deletion queue and the inline budget', () => {
    expect(readConfig({ ...BASE, WEBHOOK_API_KEYS: 'k', DELETION_QUEUE_URL: 'https://sqs/q', DELETE_BUDGET_MS: '1500' })).toMatchObject({
      queueUrl: 'https://sqs/q',
      budgetMs: 1500,
    });
  });

  it('defaults the key attribute names to userId and todoId', () => {
    expect(readConfig({ ...BASE, WEBHOOK_API_KEYS: 'k' }).todoTable).toEqual({
      tableName: 'Todos',
      userIdAttribute: 'userId',
      sortKeyAttribute: 'todoId',
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

  it('dedupes with a seven-day window when the table is named', () => {
    expect(readConfig({ ...BASE, WEBHOOK_API_KEYS: 'k', IDEMPOTENCY_TABLE_NAME: 'Ids' }).dedupe).toEqual({
      tableName: 'Ids',
      windowSeconds: 604800,
    });
    expect(readConfig({ ...BASE, WEBHOOK_API_KEYS: 'k', IDEMPOTENCY_TABLE_NAME: 'Ids', IDEMPOTENCY_WINDOW_SECONDS: '60' }).dedupe).toMatchObject({
      windowSeconds: 60,
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
      [{ WEBHOOK_AUTH: 'signature', WEBHOOK_JWKS_URL: 'file:///etc/passwd' }, /http\(s\) URL/],
    ])('refuses %j at start with a clear message', (env, message) => {
      const error = thrown(() => readConfig({ ...BASE, ...env }));
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toMatch(message);
    });
  });

  it.each([
    [{ WEBHOOK_API_KEYS: 'k' }, /TODO_TABLE_NAME/],
    [{ TODO_TABLE_NAME: ' ', WEBHOOK_API_KEYS: 'k' }, /TODO_TABLE_NAME/],
    [{ TODO_TABLE_NAME: 'T' }, /WEBHOOK_API_KEYS or API_KEY_SECRET_ARN/],
    [{ TODO_TABLE_NAME: 'T', WEBHOOK_API_KEYS: ' , ' }, /WEBHOOK_API_KEYS lists nothing/],
    [{ TODO_TABLE_NAME: 'T', API_KEY_SECRET_ARN: 's', SECRET_CACHE_SECONDS: 'soon' }, /SECRET_CACHE_SECONDS/],
    [{ TODO_TABLE_NAME: 'T', WEBHOOK_API_KEYS: 'k', IDEMPOTENCY_TABLE_NAME: 'I', IDEMPOTENCY_WINDOW_SECONDS: '-1' }, /IDEMPOTENCY_WINDOW_SECONDS/],
    [{ TODO_TABLE_NAME: 'T', WEBHOOK_API_KEYS: 'k', DELETE_BUDGET_MS: '1.5' }, /DELETE_BUDGET_MS must be a whole number of milliseconds/],
  ])('refuses %j at start', (env, message) => {
    const error = thrown(() => readConfig(env));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(message);
  });
});
