import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { type AuthConfig, createAuthenticator } from '../../lambda/auth/authenticate.ts';
import { createWebhookHandler, type WebhookDependencies, type WebhookHandler } from '../../lambda/handler.ts';
import { DynamoDbTodoStore } from '../../lambda/todos/dynamodb-todo-store.ts';
import type { TodoStore } from '../../lambda/todos/store.ts';
import type { TestTodoTable } from './todo-table.ts';

export const TEST_KEY = 'test-key-0123456789';
export const TODO_APP = '3c219e58-ed0e-4b18-ad48-f4f92793ae32';

export interface TestWebhookOptions extends Partial<WebhookDependencies> {
  keys?: readonly string[];
}

/** The default configuration: API keys in the Authorization header. */
export const apiKeyAuth = (keys: readonly string[] = [TEST_KEY]): AuthConfig => ({
  apiKey: { header: 'authorization', keys: { source: 'environment', values: keys } },
});

/** The handler as lambda/index.ts wires it, over a dynalite table, with a fast retry policy. */
export function testWebhook(todoTable: TestTodoTable, { keys = [TEST_KEY], ...deps }: TestWebhookOptions = {}): WebhookHandler {
  const todos: TodoStore = new DynamoDbTodoStore(todoTable.client, todoTable.table, {
    retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5 },
  });
  return createWebhookHandler({
    auth: createAuthenticator(apiKeyAuth(keys)),
    todos,
    todoApplicationId: TODO_APP,
    deleteBudgetMs: 1_000,
    logger: new Logger({ serviceName: 'passport-webhook-test' }),
    metrics: new Metrics({ namespace: 'PassportWebhookTest', serviceName: 'passport-webhook-test' }),
    ...deps,
  });
}

/** What Powertools writes to stdout and stderr (errors) while `run` runs, one parsed object per line. */
export async function captureLogs(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const streams = [process.stdout, process.stderr];
  const writes = streams.map((stream) => stream.write);
  let captured = '';
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array) => {
      captured += chunk.toString();
      return true;
    }) as typeof stream.write;
  }
  try {
    await run();
  } finally {
    streams.forEach((stream, i) => {
      stream.write = writes[i]!;
    });
  }
  return captured
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
