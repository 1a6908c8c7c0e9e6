/**
 * Reconcile: the Scan a reconcile makes (key reading, the owner window, batching for FusionAuth,
 * with FusionAuth answered in memory so only the Scan's path is timed) against a bare parallel
 * Scan of the same table at the same segments and projection (target: within 1.2×), and users
 * checked per second against the FusionAuth stand-in, by search and by GET.
 *
 * `benchReconcile()` returns plain rows and prints nothing; `npx tsx bench/reconcile.ts` prints them.
 * The dynalite runs in a child process, so that it does not share an event loop with the Scan.
 */
import { fileURLToPath } from 'node:url';
import { type AttributeValue, type DynamoDBClient, ScanCommand, type ScanCommandOutput, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { DynamoDbErasureLedger } from '../lambda/erasure/dynamodb-ledger.ts';
import { fusionAuthUserSearch, fusionAuthUsers } from '../lambda/erasure/fusionauth-users.ts';
import { type TargetKeyReader, targetKeyReader } from '../lambda/reconcile/key-inverse.ts';
import { scanInput } from '../lambda/reconcile/key-scan.ts';
import { RateLimiter } from '../lambda/reconcile/rate-limiter.ts';
import { runReconcile } from '../lambda/reconcile/reconcile-run.ts';
import { getChecker, searchChecker, type UserChecker } from '../lambda/reconcile/user-checker.ts';
import { resolveTargets } from '../lambda/targets/table-schema.ts';
import { readTargetsConfig } from '../lambda/targets/target-spec.ts';
import { ensureLedgerTable, ensureTodoTable } from '../local/dynamodb.ts';
import { writeAll } from '../local/write-all.ts';
import { fusionAuthTenant, fusionAuthUser, startFakeFusionAuth } from '../test/support/fake-fusionauth.ts';
import { startFront } from './lib/front.ts';
import type { Row } from './lib/rows.ts';
import { median, round } from './lib/stats.ts';

export interface ReconcileBenchOptions {
  /** Todos in the table, 20 a user. @default 50_000 */
  readonly todos?: number;
  readonly segments?: number;
  /** Timed runs of each Scan, alternating which goes first; the median counts. @default 5 */
  readonly reps?: number;
  /** Users the FusionAuth stand-in is asked about, per lookup method. @default 2_000 */
  readonly users?: number;
}

const TABLE = 'Todos';
const TARGET_RATIO = 1.2;
const TENANT = '7d3f2c1e-5b4a-4e6f-9a8b-1c2d3e4f5a6b';
const userId = (n: number) => `0b7c${String(n % 10_000).padStart(4, '0')}-1d2e-4f30-8a4b-${String(n).padStart(12, '0')}`;

export async function benchReconcile(options: ReconcileBenchOptions = {}): Promise<Row[]> {
  const { todos = 50_000, segments = 4, reps = 5, users = 2_000 } = options;
  // The front's dynalite, in a process of its own, reached directly: nothing here is metered.
  const dynalite = await startFront();
  const client = dynalite.admin;
  try {
    await ensureTodoTable(client, { tableName: TABLE, userIdAttribute: 'userId', sortKeyAttribute: undefined });
    await ensureLedgerTable(client, 'Erasures');
    const requests: WriteRequest[] = Array.from({ length: todos }, (_, n) => ({
      PutRequest: { Item: { userId: { S: userId(Math.floor(n / 20)) }, todoId: { S: `t${n % 20}` }, title: { S: `Todo ${n}` }, done: { BOOL: false } } },
    }));
    await writeAll(client, TABLE, requests);
    const targets = await resolveTargets(client, readTargetsConfig({ TODO_TABLE_NAME: TABLE }));
    const reading = targetKeyReader(targets[0]!);
    if (!reading.readable) throw new Error(reading.reason);
    const ledger = new DynamoDbErasureLedger(client, 'Erasures');

    const bare = async () => bareParallelScan(client, reading.reader, segments);
    const reconcile = async () => {
      const report = await runReconcile({ client, targets, checker: everyonePresent, ledger }, { segments, maxMissing: 0.2, concurrency: 4, apply: false });
      return report.targets[0]!.items;
    };
    // A warm-up of each, then alternating pairs.
    await bare();
    await reconcile();
    const bareMs: number[] = [];
    const oursMs: number[] = [];
    for (let rep = 0; rep < reps; rep += 1) {
      const order = rep % 2 === 0 ? [bare, reconcile] : [reconcile, bare];
      for (const run of order) {
        const started = performance.now();
        const items = await run();
        if (items !== todos) throw new Error(`a Scan saw ${items} items of ${todos}`);
        (run === bare ? bareMs : oursMs).push(performance.now() - started);
      }
    }
    const [bareMedian, oursMedian] = [median(bareMs), median(oursMs)];
    const rows: Row[] = [
      { name: `bare parallel Scan, ${todos} items, ${segments} segments`, value: round(bareMedian), unit: 'ms' },
      {
        name: `reconcile Scan (keys read, owners windowed and batched), ${todos} items, ${segments} segments`,
        value: round(oursMedian),
        unit: 'ms',
        baseline: round(bareMedian),
        ratio: round(oursMedian / bareMedian, 3),
        target: TARGET_RATIO,
      },
    ];
    rows.push(...(await usersCheckedPerSecond(users)));
    return rows;
  } finally {
    await dynalite.close();
  }
}

/** The floor: the same Scan requests (segments, projection), every page read, nothing done with it. */
async function bareParallelScan(client: DynamoDBClient, reader: TargetKeyReader, totalSegments: number): Promise<number> {
  const counts = await Promise.all(
    Array.from({ length: totalSegments }, async (_, segment) => {
      let items = 0;
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page: ScanCommandOutput = await client.send(new ScanCommand(scanInput(reader, { segment, totalSegments, startKey })));
        items += page.Items?.length ?? 0;
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return items;
    }),
  );
  return counts.reduce((sum, count) => sum + count, 0);
}

/** FusionAuth answered in memory: every user is there. */
const everyonePresent: UserChecker = {
  method: 'search',
  batchSize: 100,
  check: async (ids) => ({ present: ids.map((id) => ({ id, applicationIds: [] })), absent: [] }),
};

async function usersCheckedPerSecond(count: number): Promise<Row[]> {
  const ids = Array.from({ length: count }, (_, n) => userId(n));
  const fa = await startFakeFusionAuth({ tenants: [fusionAuthTenant(TENANT, 'Default')], users: ids.filter((_, n) => n % 20 !== 0).map((id) => fusionAuthUser({ id, tenantId: TENANT, email: `${id}@example.com` })) });
  try {
    const apiKey = { list: async () => [fa.apiKey] };
    const rateLimiter = new RateLimiter(Infinity);
    const checkers: [string, UserChecker][] = [
      ['search, 100 ids a request, 4 at once', searchChecker(fusionAuthUserSearch({ url: fa.url, apiKey }), { rateLimiter, batchSize: 100 })],
      ['GET, 8 at once', getChecker(fusionAuthUsers({ url: fa.url, apiKey }), { rateLimiter, concurrency: 8 })],
    ];
    const rows: Row[] = [];
    for (const [how, checker] of checkers) {
      const started = performance.now();
      const batches = Array.from({ length: Math.ceil(ids.length / checker.batchSize) }, (_, n) => ids.slice(n * checker.batchSize, (n + 1) * checker.batchSize));
      let next = 0;
      await Promise.all(Array.from({ length: checker.method === 'search' ? 4 : 1 }, async () => {
        while (next < batches.length) await checker.check(batches[next++]!, undefined);
      }));
      rows.push({ name: `users checked per second against the FusionAuth stand-in (${how}, no rate limit)`, value: round(ids.length / ((performance.now() - started) / 1000)), unit: 'users/s' });
    }
    return rows;
  } finally {
    await fa.close();
  }
}

// import.meta.main is Node 24's; the path test covers an older node run by hand.
if (import.meta.main ?? process.argv[1] === fileURLToPath(import.meta.url)) console.table(await benchReconcile());
