import { createAuthenticator } from './auth/authenticate.ts';
import { dynamoDbClient, sqsDeletionQueue } from './clients.ts';
import { readConfig } from './config.ts';
import { dynamoDbDeduplicator } from './dedupe/deduplicator.ts';
import type { DeletionQueue } from './deletion/queue.ts';
import { createWebhookHandler, type WebhookDependencies, type WebhookHandler } from './handler.ts';
import { logger, metrics } from './observability.ts';
import { DynamoDbTodoStore } from './todos/dynamodb-todo-store.ts';
import type { Env } from './env.ts';

export interface Overrides extends Pick<WebhookDependencies, 'onDelivery'> {
  /** `npm start` runs the worker in process instead of behind SQS. */
  readonly queue?: DeletionQueue;
}

/** The webhook as its environment describes it; a configuration that cannot work throws here. */
export function createWebhook(env: Env, overrides: Overrides = {}): WebhookHandler {
  const config = readConfig(env);
  const dynamoDb = dynamoDbClient();
  return createWebhookHandler({
    auth: createAuthenticator(config.auth),
    dedupe: config.dedupe && dynamoDbDeduplicator(dynamoDb, config.dedupe),
    todos: new DynamoDbTodoStore(dynamoDb, config.todoTable),
    todoApplicationId: config.todoApplicationId,
    deleteBudgetMs: config.budgetMs,
    queue: overrides.queue ?? sqsDeletionQueue(config.queueUrl),
    onDelivery: overrides.onDelivery,
    logger,
    metrics,
  });
}
