import { type Env, read, wholeNumber } from '../env.ts';
import { ConfigurationError } from '../errors.ts';
import type { TodoTable } from '../todos/dynamodb-todo-store.ts';

/** What both the webhook and the deletion worker need. */
export interface DeletionConfig {
  readonly todoTable: TodoTable;
  /** SQS queue for deletions that outlast a delivery; absent, a delivery deletes until its time is up. */
  readonly queueUrl: string | undefined;
  /** How long a delivery deletes inline before queueing the rest. */
  readonly budgetMs: number;
}

// Passport's read timeout is often 2 s and includes the network and a cold start.
const DEFAULT_DELETE_BUDGET_MS = 1_000;

/** The Todo table and the deletion queue: all the worker reads. */
export function readDeletionConfig(env: Env): DeletionConfig {
  const tableName = read(env, 'TODO_TABLE_NAME');
  if (!tableName) throw new ConfigurationError('TODO_TABLE_NAME is not set: name the DynamoDB table of Todos.');
  return {
    todoTable: {
      tableName,
      userIdAttribute: read(env, 'TODO_USER_ID_ATTRIBUTE') ?? 'userId',
      sortKeyAttribute: read(env, 'TODO_SORT_KEY_ATTRIBUTE') ?? 'todoId',
    },
    queueUrl: read(env, 'DELETION_QUEUE_URL'),
    budgetMs: wholeNumber(env, 'DELETE_BUDGET_MS', DEFAULT_DELETE_BUDGET_MS, 'milliseconds'),
  };
}
