import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface RequestCount {
  /** Commands the code sent, by name (Query, BatchWriteItem, …). */
  readonly commands: Record<string, number>;
  /** HTTP requests DynamoDB received: commands plus the SDK's own retries. */
  readonly httpRequests: number;
  readonly sdkRetries: number;
}

export interface RequestCounter {
  take(): RequestCount;
}

/**
 * Counts what a client sends, without changing it: commands at the initialize step (once per
 * send), HTTP attempts at the deserialize step, which the SDK's retry middleware runs once per
 * attempt. `take()` returns the counts so far and starts again from zero.
 */
export function countRequests(client: DynamoDBClient): RequestCounter {
  let commands: Record<string, number> = {};
  let attempts = 0;
  client.middlewareStack.add(
    (next, context) => (args) => {
      const name = context.commandName?.replace(/Command$/, '') ?? 'unknown';
      commands[name] = (commands[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'benchCountCommands' },
  );
  client.middlewareStack.add(
    (next) => (args) => {
      attempts += 1;
      return next(args);
    },
    { step: 'deserialize', name: 'benchCountAttempts' },
  );
  return {
    take() {
      const sent = Object.values(commands).reduce((sum, n) => sum + n, 0);
      const count = { commands, httpRequests: attempts, sdkRetries: attempts - sent };
      commands = {};
      attempts = 0;
      return count;
    },
  };
}
