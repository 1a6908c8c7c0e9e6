import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createAuthenticator } from './auth/authenticate.ts';
import { readConfig, readDeletionConfig } from './config.ts';
import { dynamoDbDeduplicator } from './dedupe/deduplicator.ts';
import { ConfigurationError } from './errors.ts';
import { type DeletionQueue, SqsDeletionQueue } from './deletion/queue.ts';
import { createDeletionWorker, type DeletionWorker } from './deletion/worker.ts';
import { createWebhookHandler, type WebhookDependencies, type WebhookHandler } from './handler.ts';
import { logger, metrics } from './observability.ts';
import { DynamoDbTodoStore } from './todos/dynamodb-todo-store.ts';

type Env = Readonly<Record<string, string | undefined>>;

export interface Overrides extends Pick<WebhookDependencies, 'onDelivery'> {
  /** `npm start` runs the worker in process instead of behind SQS. */
  readonly queue?: DeletionQueue;
}

// The SDK's adaptive retry mode also rate-limits its own sends once DynamoDB throttles. The SDK
// reads AWS_ENDPOINT_URL_DYNAMODB itself, which points a local run at a local server.
const dynamoDbClient = () => new DynamoDBClient({ retryMode: 'adaptive' });

const sqsQueue = (queueUrl: string | undefined): DeletionQueue | undefined =>
  queueUrl ? new SqsDeletionQueue(new SQSClient({}), queueUrl) : undefined;

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
    queue: overrides.queue ?? sqsQueue(config.queueUrl),
    onDelivery: overrides.onDelivery,
    logger,
    metrics,
  });
}

/** The deletion worker: the same store and retry rules, fed by the queue. */
export function createWorker(env: Env, overrides: Overrides = {}): DeletionWorker {
  const config = readDeletionConfig(env);
  const queue = overrides.queue ?? sqsQueue(config.queueUrl);
  if (!queue) throw new ConfigurationError('DELETION_QUEUE_URL is not set: the worker hands unfinished jobs back to that queue.');
  return createDeletionWorker({ todos: new DynamoDbTodoStore(dynamoDbClient(), config.todoTable), queue, logger, metrics });
}
