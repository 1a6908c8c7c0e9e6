import { parseApiKeys } from './auth/api-key.ts';
import { ConfigurationError } from './errors.ts';
import type { TodoTable } from './todos/dynamodb-todo-store.ts';

export type ApiKeyConfig =
  | { readonly source: 'environment'; readonly keys: readonly string[] }
  | { readonly source: 'secret'; readonly secretId: string; readonly maxAgeSeconds: number };

export interface WebhookConfig {
  readonly todoTable: TodoTable;
  readonly todoApplicationId: string | undefined;
  readonly apiKeys: ApiKeyConfig;
}

type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_KEY_CACHE_SECONDS = 300;

/** An empty variable counts as unset: CDK declares some empty so `sam local --env-vars` can fill them. */
const read = (env: Env, name: string): string | undefined => {
  const value = env[name]?.trim();
  return value ? value : undefined;
};

/** The webhook's settings, read once at start; a configuration that cannot work is refused here. */
export function readConfig(env: Env): WebhookConfig {
  const tableName = read(env, 'TODO_TABLE_NAME');
  if (!tableName) throw new ConfigurationError('TODO_TABLE_NAME is not set: name the DynamoDB table of Todos.');
  return {
    todoTable: {
      tableName,
      userIdAttribute: read(env, 'TODO_USER_ID_ATTRIBUTE') ?? 'userId',
      sortKeyAttribute: read(env, 'TODO_SORT_KEY_ATTRIBUTE') ?? 'todoId',
    },
    todoApplicationId: read(env, 'TODO_APPLICATION_ID'),
    apiKeys: readApiKeyConfig(env),
  };
}

function readApiKeyConfig(env: Env): ApiKeyConfig {
  const listed = read(env, 'WEBHOOK_API_KEYS');
  if (listed) {
    const keys = parseApiKeys(listed);
    if (keys.length === 0) throw new ConfigurationError('WEBHOOK_API_KEYS lists no key.');
    return { source: 'environment', keys };
  }
  const secretId = read(env, 'API_KEY_SECRET_ARN');
  if (!secretId) {
    throw new ConfigurationError('No API key is configured: set API_KEY_SECRET_ARN, or WEBHOOK_API_KEYS for a local run.');
  }
  const cache = read(env, 'API_KEY_CACHE_SECONDS');
  const maxAgeSeconds = cache === undefined ? DEFAULT_KEY_CACHE_SECONDS : Number(cache);
  if (!Number.isInteger(maxAgeSeconds) || maxAgeSeconds < 0) {
    throw new ConfigurationError('API_KEY_CACHE_SECONDS must be a whole number of seconds.');
  }
  return { source: 'secret', secretId, maxAgeSeconds };
}
