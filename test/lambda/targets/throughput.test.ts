/**
 * The eraser against a throughput-limited DynamoDB front (test/support/throttled-dynamodb.ts):
 * what it deletes, what it leaves, and how it sends, by counts and sequences, never by time.
 * Limits are scaled down so that throttling comes within seconds; items are small (1 write unit)
 * so that seeding is quick.
 */
import { type AttributeValue, DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type BatchSent, BATCH_SIZE, DEFAULT_CONCURRENCY, DynamoDbTodoEraser, type EraserOptions } from '../../../lambda/targets/dynamodb-todo-eraser.ts';
import { planErasure } from '../../../lambda/targets/erasure-plan.ts';
import { type ResolvedTarget, resolveTargets } from '../../../lambda/targets/table-schema.ts';
import { readTargetsConfig } from '../../../lambda/targets/target-spec.ts';
import { localClient } from '../../../local/dynamodb.ts';
import { addTodos } from '../../../local/todo-admin.ts';
import { countCommands } from '../../support/command-counter.ts';
import { createTable, snapshot } from '../../support/dynamo.ts';
import { startThrottledDynamoDb, type ThrottledDynamoDb, type ThroughputLimits } from '../../support/throttled-dynamodb.ts';

const TABLE = 'Todos';
/** A partition at a quarter of DynamoDB's: 5,000 one-unit deletes take about 4 s, and are refused without pacing. */
const LIMITED: Partial<ThroughputLimits> = { partitionWriteUnitsPerSecond: 1_000, partitionReadUnitsPerSecond: 3_000, partitionBucketSeconds: 1 };
/** As good as none: the front still meters, but refuses nothing. */
const UNLIMITED: Partial<ThroughputLimits> = { partitionWriteUnitsPerSecond: 1e9, partitionReadUnitsPerSecond: 1e9 };
/** About 200 bytes: one write unit, and quick to seed. */
const TODO_BYTES = 200;

let front: ThrottledDynamoDb;
/** Straight to the backend: seeding and checks, unmetered. */
let admin: DynamoDBClient;
let target: ResolvedTarget;
const clients: DynamoDBClient[] = [];

beforeAll(async () => {
  front = await startThrottledDynamoDb({ limits: LIMITED });
  admin = localClient(front.backendEndpoint);
  await createTable(admin, TABLE, { partition: ['userId', 'S'], sort: ['todoId', 'S'] });
  [target] = (await resolveTargets(admin, readTargetsConfig({ TODO_TABLE_NAME: TABLE }))) as [ResolvedTarget];
});

afterAll(async () => {
  for (const client of [admin, ...clients]) client?.destroy();
  await front?.close();
});

beforeEach(() => {
  front.setLimits(LIMITED);
  front.stats.reset();
});

/** A fresh partition key each time: its buckets start full. */
let users = 0;
const newUser = () => `user-${(users += 1)}`;

/** Through the front, as production builds it (adaptive), or with the SDK's standard retries. */
function frontClient(retryMode: 'adaptive' | 'standard' = 'adaptive'): DynamoDBClient {
  const client = new DynamoDBClient({ endpoint: front.endpoint, retryMode });
  clients.push(client);
  return client;
}

type Sent = BatchSent & { readonly at: number };

/** An eraser that records each BatchWriteItem it sends, with when it went; `then` sees the record after each. */
function recordingEraser(client: DynamoDBClient, options: EraserOptions = {}, then?: (sent: readonly Sent[]) => void) {
  const sent: Sent[] = [];
  const onBatch = (batch: BatchSent) => {
    sent.push({ ...batch, at: Date.now() });
    then?.(sent);
  };
  return { eraser: new DynamoDbTodoEraser(client, { ...options, onBatch }), sent };
}

async function todosLeft(userId: string): Promise<number> {
  let count = 0;
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await admin.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'userId = :u',
        ExpressionAttributeValues: { ':u': { S: userId } },
        Select: 'COUNT',
        ConsistentRead: true,
        ExclusiveStartKey,
      }),
    );
    count += page.Count ?? 0;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return count;
}

const userOf = (item: string): string | undefined => (JSON.parse(item) as { userId?: { S?: string } }).userId?.S;

/** Consecutive repeats collapsed: [4, 4, 2, 2, 1] -> [4, 2, 1]. */
const changes = (values: readonly number[]): number[] => values.filter((value, n) => n === 0 || value !== values[n - 1]);

describe('DynamoDbTodoEraser at a partition limit', () => {
  it.each(['adaptive', 'standard'] as const)(
    'erases 5,000 Todos with the SDK in %s retry mode: all gone, refusals retried through the pacer, other users untouched',
    async (retryMode) => {
      const [user, ...others] = [newUser(), newUser(), newUser()];
      await addTodos(admin, target, { userId: user }, 5_000, { sizeBytes: TODO_BYTES });
      for (const other of others) await addTodos(admin, target, { userId: other }, 300, { sizeBytes: TODO_BYTES });
      const before = await snapshot(admin, TABLE);
      const { eraser, sent } = recordingEraser(frontClient(retryMode));

      const report = await eraser.erase(planErasure([target], { userId: user! }), { deadline: Date.now() + 60_000 });

      expect(report).toEqual({ deletedByTarget: { [TABLE]: 5_000 }, deleted: 5_000, remaining: 0, finished: true, nextTarget: 1 });
      expect(await todosLeft(user!)).toBe(0);
      expect(await snapshot(admin, TABLE)).toEqual(before.filter((item) => userOf(item) !== user));

      const usage = front.stats.partition(TABLE, user!);
      const batches = front.stats.operation('BatchWriteItem');
      const requests = batches.admitted + batches.refused;
      // The partition did refuse writes, and each was sent again until done, once.
      expect(usage.itemsUnprocessed + usage.itemsRefused).toBeGreaterThan(0);
      expect(usage.itemsWritten).toBe(5_000);
      expect(sent.some((batch) => batch.attempt > 1)).toBe(true);
      // Every request the partition saw was one the pacer let go: the SDK retried none behind its back.
      expect(requests).toBe(sent.length);
      // Refused rarely: at most one request in ten throttled (unpaced, it was one in two or more).
      expect(batches.partial + batches.refused).toBeLessThanOrEqual(0.1 * requests);
      expect(requests).toBeLessThanOrEqual(1.1 * Math.ceil(5_000 / BATCH_SIZE));
      // Paced by a rate once refused: before, none; after, one.
      expect(sent[0]!.itemsPerSecond).toBe(Number.POSITIVE_INFINITY);
      expect(Number.isFinite(sent.at(-1)!.itemsPerSecond)).toBe(true);
    },
  );

  it('takes a batch refused whole as 25 items unprocessed, sent again by the pacer: the SDK retries nothing behind its back', async () => {
    const user = newUser();
    await addTodos(admin, target, { userId: user }, 50, { sizeBytes: TODO_BYTES });
    // The first batch takes all the partition holds; the second, sent with it, finds nothing left.
    front.setLimits({ partitionWriteUnitsPerSecond: 25 });
    const { eraser, sent } = recordingEraser(frontClient('adaptive'));

    const report = await eraser.erase(planErasure([target], { userId: user }), {});

    expect(report).toMatchObject({ deleted: 50, remaining: 0, finished: true });
    const batches = front.stats.operation('BatchWriteItem');
    expect(batches.refused).toBeGreaterThanOrEqual(1);
    expect(batches.admitted + batches.refused).toBe(sent.length);
    expect(sent.filter((batch) => batch.attempt === 2).map((batch) => batch.items)).toContain(25);
  });

  it('lowers the requests in flight under sustained throttling and raises them again once the limit is lifted', async () => {
    const user = newUser();
    await addTodos(admin, target, { userId: user }, 400, { sizeBytes: TODO_BYTES });
    front.setLimits(UNLIMITED);
    // A partition that admits one write a second refuses nearly every request, as long as the
    // pacer keeps sending (its lowest rate here: 4 requests a second); the retries outlast it.
    const phases = { throttledFrom: 8, liftedFrom: Number.POSITIVE_INFINITY };
    const options = { pacing: { minItemsPerSecond: 100 }, retry: { maxAttempts: 100, baseDelayMs: 10, maxDelayMs: 100 } };
    const { eraser, sent } = recordingEraser(frontClient(), options, (sent) => {
      if (sent.length === phases.throttledFrom) front.setLimits({ partitionWriteUnitsPerSecond: 1 });
      // Lifted once the limit has been down to one request for three sends in a row.
      const last = sent.slice(phases.throttledFrom).slice(-3);
      if (!Number.isFinite(phases.liftedFrom) && last.length === 3 && last.every((batch) => batch.inFlightLimit === 1)) {
        phases.liftedFrom = sent.length;
        front.setLimits(UNLIMITED);
      }
    });

    const report = await eraser.erase(planErasure([target], { userId: user }), {});

    expect(report).toMatchObject({ deleted: 400, remaining: 0, finished: true });
    expect(await todosLeft(user)).toBe(0);
    expect(front.stats.partition(TABLE, user).itemsUnprocessed + front.stats.partition(TABLE, user).itemsRefused).toBeGreaterThan(0);

    const limits = sent.map((batch) => batch.inFlightLimit);
    const before = sent.slice(0, phases.throttledFrom);
    // From the last request sent before the limit came down: the ones in flight then meet it.
    const during = limits.slice(phases.throttledFrom - 1, phases.liftedFrom);
    // From the last request sent before the limit went up.
    const after = limits.slice(phases.liftedFrom - 1);
    // Unthrottled: every slot used.
    expect(before.every((batch) => batch.inFlightLimit === DEFAULT_CONCURRENCY)).toBe(true);
    expect(Math.max(...before.map((batch) => batch.inFlight))).toBe(DEFAULT_CONCURRENCY);
    // Throttled: halved round after round, down to one request at a time.
    expect(changes(during).slice(0, 3)).toEqual([4, 2, 1]);
    expect(Number.isFinite(phases.liftedFrom)).toBe(true);
    // Lifted: one more per clean answer, back to all of them, and no lower after that.
    expect(after.at(-1)).toBe(DEFAULT_CONCURRENCY);
    const back = after.indexOf(DEFAULT_CONCURRENCY);
    expect(changes(after.slice(0, back + 1)).slice(-4)).toEqual([1, 2, 3, 4]);
    expect(after.slice(back).every((limit) => limit === DEFAULT_CONCURRENCY)).toBe(true);
    // Never more on the wire than allowed.
    expect(sent.every((batch) => batch.inFlight <= batch.inFlightLimit)).toBe(true);
  });

  it('sends nothing after the deadline, and leaves what it did not delete for the next run', async () => {
    const user = newUser();
    await addTodos(admin, target, { userId: user }, 1_000, { sizeBytes: TODO_BYTES });
    front.setLimits({ partitionWriteUnitsPerSecond: 100 });
    const { eraser, sent } = recordingEraser(frontClient());
    const deadline = Date.now() + 1_500;

    const report = await eraser.erase(planErasure([target], { userId: user }), { deadline });

    expect(report).toMatchObject({ finished: false, nextTarget: 0, remaining: 0 });
    expect(sent.every((batch) => batch.at < deadline)).toBe(true);
    expect(await todosLeft(user)).toBe(1_000 - report.deleted);
    expect(front.stats.operation('BatchWriteItem').admitted + front.stats.operation('BatchWriteItem').refused).toBe(sent.length);
  });

  it('stops sending when its signal aborts, even while the pacer holds it back', async () => {
    const user = newUser();
    await addTodos(admin, target, { userId: user }, 1_000, { sizeBytes: TODO_BYTES });
    front.setLimits({ partitionWriteUnitsPerSecond: 100 });
    const controller = new AbortController();
    const abortAfter = 10;
    const { eraser, sent } = recordingEraser(frontClient(), {}, (sent) => {
      // While the pacer holds the next one back: paced at about 100 items a second by then.
      if (sent.length === abortAfter) setTimeout(() => controller.abort(), 20);
    });

    const report = await eraser.erase(planErasure([target], { userId: user }), { signal: controller.signal });

    expect(report.finished).toBe(false);
    expect(Number.isFinite(sent[abortAfter - 1]!.itemsPerSecond)).toBe(true);
    // At most the one that was already due when the abort came.
    expect(sent.length).toBeLessThanOrEqual(abortAfter + 1);
    // A write the abort cut off on the wire may have been done: counted as unanswered, not deleted.
    const left = await todosLeft(user);
    expect(left).toBeLessThanOrEqual(1_000 - report.deleted);
    expect(left).toBeGreaterThanOrEqual(1_000 - report.deleted - (report.unanswered ?? 0));
  });
});

describe('DynamoDbTodoEraser with no limit met', () => {
  it('is not paced at all: one BatchWriteItem per 25 Todos, every slot used, no rate', async () => {
    const user = newUser();
    await addTodos(admin, target, { userId: user }, 1_234, { sizeBytes: TODO_BYTES });
    // Dynalite itself, no front: nothing is refused.
    const client = localClient(front.backendEndpoint);
    clients.push(client);
    const commands = countCommands(client);
    const { eraser, sent } = recordingEraser(client);

    const report = await eraser.erase(planErasure([target], { userId: user }), {});

    expect(report).toMatchObject({ deleted: 1_234, remaining: 0, finished: true });
    expect(commands.get('BatchWriteItemCommand')).toBe(Math.ceil(1_234 / BATCH_SIZE));
    expect(sent.map((batch) => batch.items)).toEqual([...Array.from({ length: 49 }, () => 25), 9]);
    expect(sent.every((batch) => batch.attempt === 1 && batch.itemsPerSecond === Number.POSITIVE_INFINITY)).toBe(true);
    expect(sent.every((batch) => batch.inFlightLimit === DEFAULT_CONCURRENCY)).toBe(true);
    expect(Math.max(...sent.map((batch) => batch.inFlight))).toBe(DEFAULT_CONCURRENCY);
  });
});
