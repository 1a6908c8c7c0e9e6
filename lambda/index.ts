import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { secretApiKeys, staticApiKeys } from './auth/api-key-source.ts';
import { apiKeyAuthenticator } from './auth/authenticate.ts';
import { readConfig } from './config.ts';
import { createWebhookHandler } from './handler.ts';
import { logger, metrics } from './observability.ts';
import { DynamoDbTodoStore } from './todos/dynamodb-todo-store.ts';

// Built once per container, at init: a configuration that cannot work fails here, in the log,
// before any delivery. The SDK reads AWS_ENDPOINT_URL_DYNAMODB itself, which points a local run
// at a local server.
const config = readConfig(process.env);
const apiKeys =
  config.apiKeys.source === 'environment'
    ? staticApiKeys(config.apiKeys.keys)
    : secretApiKeys(config.apiKeys.secretId, config.apiKeys.maxAgeSeconds);

export const handler = createWebhookHandler({
  authenticate: apiKeyAuthenticator(apiKeys),
  todos: new DynamoDbTodoStore(new DynamoDBClient({}), config.todoTable),
  todoApplicationId: config.todoApplicationId,
  logger,
  metrics,
});
