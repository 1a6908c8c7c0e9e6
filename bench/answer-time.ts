/**
 * The answer to user.delete does not grow with the user: a user with 100,000 Todos against one with
 * none, each delivery a new request (its ledger receipt removed between samples), to `npm start`
 * behind the throughput-limited front at DynamoDB's own limits.
 */
import { DeleteItemCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { ensureLedgerTable, ensureTodoTable } from '../local/dynamodb.ts';
import { writeAll } from '../local/write-all.ts';
import { startWebhook } from './lib/deliveries.ts';
import { startFront } from './lib/front.ts';
import type { Row } from './lib/rows.ts';
import { median, pairedRatio } from './lib/stats.ts';
import type { BenchContext } from './run.ts';

export async function answerTime({ quick, log }: BenchContext): Promise<Row[]> {
  const todos = quick ? 10_000 : 100_000;
  const pairs = quick ? 20 : 100;
  const [large, empty] = ['answer-time-large-user', 'answer-time-empty-user'];
  const front = await startFront();
  try {
    await ensureTodoTable(front.admin, { tableName: 'Todos', userIdAttribute: 'userId', sortKeyAttribute: 'todoId' });
    await ensureLedgerTable(front.admin, 'Erasures');
    log(`answer time: seeding ${todos.toLocaleString('en-US')} Todos`);
    const requests: WriteRequest[] = Array.from({ length: todos }, (_, n) => ({ PutRequest: { Item: { userId: { S: large }, todoId: { S: `todo-${n}` }, title: { S: `Todo ${n}` } } } }));
    await writeAll(front.admin, 'Todos', requests);
    // Without FusionAuth's API the worker's only look comes at the end of the window: nothing is erased while this runs.
    const webhook = await startWebhook(front.endpoint);
    const forget = (userId: string) => front.admin.send(new DeleteItemCommand({ TableName: 'Erasures', Key: { userId: { S: userId }, scope: { S: 'user' } } }));
    const sample = async (userId: string) => {
      const { ms, status } = await webhook.deleteUser(userId);
      if (status !== 200) throw new Error(`answer time: user.delete answered ${status}`);
      await forget(userId);
      return ms;
    };
    try {
      log(`answer time: ${pairs} pairs of user.delete, alternating`);
      // Warm: the first delivery loads the erasure code.
      for (const userId of [large, empty]) await sample(userId);
      const ms = { large: [] as number[], empty: [] as number[] };
      for (let n = 0; n < pairs; n++) {
        const order = n % 2 === 0 ? (['large', 'empty'] as const) : (['empty', 'large'] as const);
        for (const which of order) ms[which].push(await sample(which === 'large' ? large : empty));
      }
      return [
        {
          name: `Answer time: user.delete, ${todos.toLocaleString('en-US')} Todos vs none (median of ${pairs})`,
          value: median(ms.large),
          unit: 'ms',
          baseline: median(ms.empty),
          baselineName: 'no Todos',
          ratio: pairedRatio(ms.large, ms.empty),
          target: 1.1,
          note: 'npm start behind the front at DynamoDB\'s partition limits; user.delete records the request and answers, the erasure waits for the commit.',
        },
      ];
    } finally {
      await webhook.server.stop();
    }
  } finally {
    await front.close();
  }
}
