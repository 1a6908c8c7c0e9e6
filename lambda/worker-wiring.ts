import { dynamoDbClient, sqsDeletionQueue } from './clients.ts';
import { readDeletionConfig } from './deletion/config.ts';
import type { DeletionQueue } from './deletion/queue.ts';
import { createDeletionWorker, type DeletionWorker } from './deletion/worker.ts';
import { ConfigurationError } from './errors.ts';
import { logger, metrics } from './observability.ts';
import { DynamoDbTodoStore } from './todos/dynamodb-todo-store.ts';
import type { Env } from './env.ts';

/**
 * The deletion worker: the same store and retry rules as the webhook, fed by the queue. Apart
 * from the webhook's wiring so that its bundle carries no authentication or dedupe code.
 */
export function createWorker(env: Env, overrides: { readonly queue?: DeletionQueue } = {}): DeletionWorker {
  const config = readDeletionConfig(env);
  const queue = overrides.queue ?? sqsDeletionQueue(config.queueUrl);
  if (!queue) throw new ConfigurationError('DELETION_QUEUE_URL is not set: the worker hands unfinished jobs back to that queue.');
  return createDeletionWorker({ todos: new DynamoDbTodoStore(dynamoDbClient(), config.todoTable), queue, logger, metrics });
}
