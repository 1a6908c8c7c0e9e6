import { describe, expect, onTestFinished, test } from 'vitest';
import { startTestDynamoDb } from '../../support/dynamo.ts';
import { world } from '../../support/fusionauth-world.ts';
import { startThrottledDynamoDb } from '../../support/throttled-dynamodb.ts';

/**
 * FusionAuth's bulk delete sends one user.delete per user, one after another inside one
 * transaction, and no .complete: every erasure is confirmed through FusionAuth's API. Here the
 * functions reach DynamoDB through a front that takes 25 writes a second per partition, so
 * every user with more than 25 Todos is refused part of the way and must be carried on.
 */
const USERS = 1_000;
const COUNTS = Array.from({ length: USERS }, (_, n) => (n * 37) % 41);
const WRITES_PER_PARTITION = 25;

describe('a bulk delete of 1,000 users behind a DynamoDB at its partition limit', () => {
  test('answers every delivery 2xx, finishes every erasure, and leaves only the bystander\'s Todos', async () => {
    const dynamo = await startTestDynamoDb();
    const front = await startThrottledDynamoDb({ backend: dynamo.endpoint, limits: { partitionWriteUnitsPerSecond: WRITES_PER_PARTITION } });
    onTestFinished(async () => {
      await front.close();
      await dynamo.close();
    });
    // The bulk delete holds its transaction while it sends every delivery: a window that outlasts it.
    const w = await world({ api: true, users: COUNTS, completeEvents: false, dynamo, windowSeconds: 300, functionsEndpoint: front.endpoint });
    const before = await w.todos();
    expect(before).toHaveLength(COUNTS.reduce((sum, count) => sum + count, 4));

    expect(await w.call('DELETE', '/api/user/bulk', { userIds: w.ids, hardDelete: true })).toBe(200);
    await w.quiet();

    const deliveries = w.fa.attempts.filter((attempt) => attempt.eventType === 'user.delete');
    expect(deliveries).toHaveLength(USERS);
    expect(deliveries.filter(({ outcome }) => typeof outcome !== 'number' || outcome < 200 || outcome > 299)).toEqual([]);
    expect(await w.todos()).toEqual(before.filter((item) => item.includes('"bystander"')));
    const records = await Promise.all(w.ids.map((id) => w.record(id)));
    expect(records.map((record) => record?.state)).toEqual(w.ids.map(() => 'erased'));
    expect(records.map((record) => record?.todosDeleted)).toEqual(COUNTS);
    // The limit was met: some writes were refused, and every refused one was sent again.
    const usage = front.stats.operation('BatchWriteItem');
    expect(usage.partial + usage.refused).toBeGreaterThan(0);
  }, 240_000);
});
