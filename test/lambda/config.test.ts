import { describe, expect, it } from 'vitest';
import { readConfig } from '../../lambda/config.ts';
import { ConfigurationError } from '../../lambda/errors.ts';
import { thrown } from '../support/thrown.ts';

describe('readConfig', () => {
  it('reads the table, its key names and the keys from the environment', () => {
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
      todoApplicationId: 'app',
      apiKeys: { source: 'environment', keys: ['a', 'b'] },
    });
  });

  it('defaults the key attribute names to userId and todoId', () => {
    expect(readConfig({ TODO_TABLE_NAME: 'T', WEBHOOK_API_KEYS: 'k' }).todoTable).toEqual({
      tableName: 'T',
      userIdAttribute: 'userId',
      sortKeyAttribute: 'todoId',
    });
  });

  it('uses the secret when WEBHOOK_API_KEYS is empty, as the stack declares it', () => {
    expect(readConfig({ TODO_TABLE_NAME: 'T', WEBHOOK_API_KEYS: '', API_KEY_SECRET_ARN: 'arn:secret' }).apiKeys).toEqual({
      source: 'secret',
      secretId: 'arn:secret',
      maxAgeSeconds: 300,
    });
    expect(readConfig({ TODO_TABLE_NAME: 'T', API_KEY_SECRET_ARN: 's', API_KEY_CACHE_SECONDS: '60' }).apiKeys).toMatchObject({
      maxAgeSeconds: 60,
    });
  });

  it.each([
    [{ WEBHOOK_API_KEYS: 'k' }, /TODO_TABLE_NAME/],
    [{ TODO_TABLE_NAME: ' ', WEBHOOK_API_KEYS: 'k' }, /TODO_TABLE_NAME/],
    [{ TODO_TABLE_NAME: 'T' }, /API_KEY_SECRET_ARN/],
    [{ TODO_TABLE_NAME: 'T', WEBHOOK_API_KEYS: ' , ' }, /WEBHOOK_API_KEYS lists no key/],
    [{ TODO_TABLE_NAME: 'T', API_KEY_SECRET_ARN: 's', API_KEY_CACHE_SECONDS: 'soon' }, /API_KEY_CACHE_SECONDS/],
  ])('refuses %j at start', (env, message) => {
    const error = thrown(() => readConfig(env));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(message);
  });
});
