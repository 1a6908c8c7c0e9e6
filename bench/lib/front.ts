import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localClient } from '../../local/dynamodb.ts';
import type { OperationCounts, PartitionUsage, ThroughputLimits, Usage } from '../../test/support/throttled-dynamodb.ts';

export interface FrontStats {
  readonly total: Usage;
  readonly operations: Record<string, OperationCounts>;
  readonly partitions: PartitionUsage[];
}

export interface Front {
  /** Where the code under test sends its requests: metered, refused past the limits. */
  readonly endpoint: string;
  readonly backendEndpoint: string;
  /** Straight to the backend: seeding and checks, neither metered nor limited. */
  readonly admin: DynamoDBClient;
  stats(): Promise<FrontStats>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** test/support/throttled-dynamodb.ts with these limits, over a dynalite of its own, in a child process. */
export async function startFront(limits: Partial<ThroughputLimits> = {}): Promise<Front> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./front-process.ts', import.meta.url)), [JSON.stringify(limits)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit');
  const reply = async <T>(): Promise<T> => {
    const [message] = (await Promise.race([once(child, 'message'), exited.then(() => Promise.reject(new Error('the front exited')))])) as [T];
    return message;
  };
  const { endpoint, backendEndpoint } = await reply<{ endpoint: string; backendEndpoint: string }>();
  const admin = localClient(backendEndpoint);
  const ask = (message: 'stats' | 'reset') => {
    const answer = reply<FrontStats>();
    child.send(message);
    return answer;
  };
  return {
    endpoint,
    backendEndpoint,
    admin,
    stats: () => ask('stats'),
    reset: async () => void (await ask('reset')),
    async close() {
      admin.destroy();
      child.disconnect();
      await exited;
    },
  };
}

/** Requests the front answered for an operation (admitted or refused), and how many met throttling (refused, or partly unprocessed). */
export const sentAndThrottled = (stats: FrontStats, operation: string) => {
  const counts = stats.operations[operation] ?? { admitted: 0, refused: 0, partial: 0 };
  return { sent: counts.admitted + counts.refused, throttled: counts.refused + counts.partial };
};
