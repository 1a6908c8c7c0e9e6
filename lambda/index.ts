import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createAuthenticator } from './auth/authenticate.ts';
import { readConfig } from './config.ts';
import { dynamoDbDeduplicator } from './dedupe/deduplicator.ts';
import { createWebhookHandler } from './handler.ts';
import { logger, metrics } from './observability.ts';
import { DynamoDbTodoStore } from './todos/dynamodb-todo-store.ts';

// Built once per container, at init: a configuration that cannot work fails here, in the log,
// before any delivery. The SDK reads AWS_ENDPOINT_URL_DYNAMODB itself, which points a local run
// at a local server.
const config = readConfig(process.env);
const dynamoDb = new DynamoDBClient({});

export const handler = createWebhookHandler({
  auth: createAuthenticator(config.auth),
  dedupe: config.dedupe && dynamoDbDeduplicator(dynamoDb, config.dedupe),
  todos: new DynamoDbTodoStore(dynamoDb, config.todoTable),
  todoApplicationId: config.todoApplicationId,
  logger,
  metrics,
});
