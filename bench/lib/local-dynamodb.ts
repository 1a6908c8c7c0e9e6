import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { useLocalAwsDefaults } from '../../local/aws-env.ts';
import { ensureTodoTable } from '../../local/dynamodb.ts';
import type { TodoTable } from '../../lambda/todos/dynamodb-todo-store.ts';
import { ROOT } from './paths.ts';

export const TODO_TABLE: TodoTable = { tableName: 'Todos', userIdAttribute: 'userId', sortKeyAttribute: 'todoId' };

/** What every process of the benchmark uses to reach DynamoDB: dynalite keeps data per access key and region. */
export const LOCAL_AWS: Readonly<Record<string, string>> = (() => {
  const env: NodeJS.ProcessEnv = {};
  useLocalAwsDefaults(env);
  return env as Record<string, string>;
})();

export interface LocalDynamoDb {
  readonly endpoint: string;
  /** A client for set-up and checks, whose requests count toward no benchmark. */
  readonly admin: DynamoDBClient;
  stop(): Promise<void>;
}

/** Starts dynalite in its own process, with the Todo table created. */
export async function startLocalDynamoDb(logFile: string): Promise<LocalDynamoDb> {
  const log = openSync(logFile, 'a');
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./dynalite-server.ts', import.meta.url))], {
    cwd: ROOT,
    stdio: ['ignore', log, log, 'pipe'],
  });
  closeSync(log);
  const exited = once(child, 'exit');
  const [chunk] = (await Promise.race([
    once(child.stdio[3]!, 'data'),
    exited.then(() => {
      throw new Error(`dynalite did not start; see ${logFile}`);
    }),
  ])) as [Buffer];
  const { endpoint } = JSON.parse(chunk.toString()) as { endpoint: string };
  const admin = new DynamoDBClient({ endpoint, region: LOCAL_AWS.AWS_REGION, credentials: localCredentials() });
  await ensureTodoTable(admin, TODO_TABLE);
  return {
    endpoint,
    admin,
    async stop() {
      admin.destroy();
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

export const localCredentials = () => ({
  accessKeyId: LOCAL_AWS.AWS_ACCESS_KEY_ID!,
  secretAccessKey: LOCAL_AWS.AWS_SECRET_ACCESS_KEY!,
});
