/**
 * Goodput at a partition's limit: one user's Todos of 1 KB behind the throughput-limited front,
 * erased by the project's eraser and by a fixed-concurrency baseline, against the floor (the
 * write units the partition was charged ÷ its limit).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbTodoEraser } from '../lambda/targets/dynamodb-todo-eraser.ts';
import { planErasure } from '../lambda/targets/erasure-plan.ts';
import { resolveTargets } from '../lambda/targets/table-schema.ts';
import { readTargetsConfig } from '../lambda/targets/target-spec.ts';
import { ensureTodoTable } from '../local/dynamodb.ts';
import { addTodos, countTodos } from '../local/todo-admin.ts';
import { eraseAtFixedConcurrency } from './baselines/fixed-concurrency-eraser.ts';
import { sentAndThrottled, startFront } from './lib/front.ts';
import type { Row } from './lib/rows.ts';
import type { BenchContext } from './run.ts';

/** A quarter of DynamoDB's 1,000 write units a second: the machine must outrun the partition, not the reverse. */
const LIMIT = 250;

export async function goodput({ quick, log }: BenchContext): Promise<Row[]> {
  const todos = quick ? 1_000 : 5_000;
  const front = await startFront({ partitionWriteUnitsPerSecond: LIMIT, partitionReadUnitsPerSecond: 3 * LIMIT, partitionBucketSeconds: 1 });
  try {
    await ensureTodoTable(front.admin, { tableName: 'Todos', userIdAttribute: 'userId', sortKeyAttribute: 'todoId' });
    const [target] = await resolveTargets(front.admin, readTargetsConfig({ TODO_TABLE_NAME: 'Todos' }));
    const contenders = {
      // As the functions build it (lambda/wiring): adaptive retries, default pacing.
      ours: (userId: string) => new DynamoDbTodoEraser(new DynamoDBClient({ endpoint: front.endpoint, retryMode: 'adaptive' })).erase(planErasure([target!], { userId }), {}),
      baseline: (userId: string) => eraseAtFixedConcurrency(new DynamoDBClient({ endpoint: front.endpoint }), 'Todos', userId),
    };
    const measured: Record<string, { seconds: number; floor: number; sent: number; throttled: number }> = {};
    for (const [name, erase] of Object.entries(contenders)) {
      const userId = `goodput-${name}`;
      log(`goodput: ${todos.toLocaleString('en-US')} Todos of 1 KB for ${name}, erased at ${LIMIT} write units a second`);
      await addTodos(front.admin, target!, { userId }, todos, { sizeBytes: 1_000 });
      await front.reset();
      const started = performance.now();
      await erase(userId);
      const seconds = (performance.now() - started) / 1000;
      const left = await countTodos(front.admin, target!, { userId });
      if (left > 0) throw new Error(`goodput: ${name} left ${left} Todos`);
      const stats = await front.stats();
      const units = stats.partitions.find((partition) => partition.table === 'Todos' && partition.key.S === userId)!.writeUnits;
      measured[name] = { seconds, floor: units / LIMIT, ...sentAndThrottled(stats, 'BatchWriteItem') };
    }

    const { ours, baseline } = measured as Record<'ours' | 'baseline', (typeof measured)[string]>;
    const scale = `${todos.toLocaleString('en-US')} Todos at ${LIMIT} WCU/s`;
    const scaled = `DynamoDB's figures are 1,000 write units a second a partition, 100,000 Todos, a 100 s floor; here the limit is a quarter and the Todos a ${100_000 / todos}th, so the row runs in seconds. Floor: the write units the partition was charged ÷ its limit.`;
    return [
      { name: `Goodput, ${scale}: our eraser`, value: ours.seconds, unit: 's', baseline: ours.floor, baselineName: 'floor', target: 1.15, note: scaled },
      { name: `Goodput, ${scale}: fixed concurrency, SDK retries`, value: baseline.seconds, unit: 's', baseline: baseline.floor, baselineName: 'floor' },
      { name: `Goodput, ${scale}: our eraser, throttled of sent`, value: ours.throttled, unit: 'requests', baseline: ours.sent, baselineName: 'sent', target: 0.1 },
      { name: `Goodput, ${scale}: fixed concurrency, throttled of sent`, value: baseline.throttled, unit: 'requests', baseline: baseline.sent, baselineName: 'sent' },
    ];
  } finally {
    await front.close();
  }
}
