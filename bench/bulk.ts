/**
 * A bulk delete as FusionAuth sends one: a user.delete for each user, at 20 and at 100 in flight,
 * to `npm start` over HTTP, with the throughput-limited front as its DynamoDB and the FusionAuth
 * stand-in as the API that confirms each deletion (the user is gone once its delivery is
 * answered, so the worker's GET answers 404 and the erasure runs). Answer times against a single
 * delivery to the idle server; the time until every erasure is done against the least the
 * front's limits allow.
 */
import { randomUUID } from 'node:crypto';
import { paginateScan, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DynamoDbErasureLedger } from '../lambda/erasure/dynamodb-ledger.ts';
import { ensureLedgerTable, ensureTodoTable } from '../local/dynamodb.ts';
import { writeAll } from '../local/write-all.ts';
import { fusionAuthUser, startFakeFusionAuth } from '../test/support/fake-fusionauth.ts';
import { DEFAULT_LIMITS, type ThroughputLimits } from '../test/support/throttled-dynamodb.ts';
import { startWebhook, type Webhook } from './lib/deliveries.ts';
import { type Front, type FrontStats, sentAndThrottled, startFront } from './lib/front.ts';
import type { Row } from './lib/rows.ts';
import { percentile } from './lib/stats.ts';
import type { BenchContext } from './run.ts';

const TENANT = 'e872a880-b14f-6d62-c312-cb40f22af465';
const CONFIRM_DELAY_SECONDS = 5;

export interface BulkSize {
  readonly users: number;
  readonly maxTodos: number;
  /** Single deliveries to the idle server, one after another, before the bulk. */
  readonly idle: number;
  /** Each table's provisioned write units a second (reads: three times as many). */
  readonly tableWriteUnits: number;
}

/**
 * FusionAuth sends up to 10,000 deliveries for one bulk delete; 10,000 users of 0 to 200 Todos are
 * a million Todos, which this machine seeds at some 3,000 and erases at some 1,500 a second: a
 * quarter of an hour a level. Scaled down to a minute or two, the tables provisioned below what
 * the machine erases, so that the limit is what the erasures meet.
 */
const SIZES: Record<'quick' | 'default', BulkSize> = {
  quick: { users: 100, maxTodos: 20, idle: 20, tableWriteUnits: 200 },
  default: { users: 1_000, maxTodos: 30, idle: 100, tableWriteUnits: 500 },
};

export async function bulk({ quick, log }: BenchContext): Promise<Row[]> {
  const size = SIZES[quick ? 'quick' : 'default'];
  const rows: Row[] = [];
  for (const inFlight of [20, 100]) rows.push(...(await bulkRun(size, inFlight, log)));
  return rows;
}

/** A fixed pseudo-random count for each user (an LCG), so that every run erases the same work. */
function todoCounts(users: number, max: number): number[] {
  let seed = 42;
  return Array.from({ length: users }, () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % (max + 1);
  });
}

async function bulkRun(size: BulkSize, inFlight: number, log: (message: string) => void): Promise<Row[]> {
  // DynamoDB's own partition limits; the tables provisioned below what this machine can erase, so
  // that the limit, not the machine, is what an erasure meets. A burst allowance of 1 s instead of
  // DynamoDB's 300 s of unused capacity, which would absorb the whole run.
  const limits: ThroughputLimits = {
    ...DEFAULT_LIMITS,
    provisioned: { writeUnitsPerSecond: size.tableWriteUnits, readUnitsPerSecond: 3 * size.tableWriteUnits, burstSeconds: 1 },
  };
  const front = await startFront(limits);
  const users = todoCounts(size.users, size.maxTodos).map((todos) => ({ id: randomUUID(), todos }));
  const idleUsers = Array.from({ length: size.idle }, () => randomUUID());
  const fusionAuth = await startFakeFusionAuth({ users: [...users.map((u) => u.id), ...idleUsers].map((id) => fusionAuthUser({ id, tenantId: TENANT })) });
  const ledger = new DynamoDbErasureLedger(front.admin, 'Erasures');
  let webhook: Webhook | undefined;
  try {
    await ensureTodoTable(front.admin, { tableName: 'Todos', userIdAttribute: 'userId', sortKeyAttribute: 'todoId' });
    await ensureLedgerTable(front.admin, 'Erasures');
    const total = users.reduce((sum, user) => sum + user.todos, 0);
    log(`bulk ${inFlight}: seeding ${total.toLocaleString('en-US')} Todos for ${size.users.toLocaleString('en-US')} users`);
    const requests: WriteRequest[] = users.flatMap(({ id, todos }) =>
      Array.from({ length: todos }, (_, n) => ({ PutRequest: { Item: { userId: { S: id }, todoId: { S: `todo-${n}` }, title: { S: `Todo ${n}` }, done: { BOOL: false } } } })),
    );
    await writeAll(front.admin, 'Todos', requests);

    webhook = await startWebhook(front.endpoint, {
      FUSIONAUTH_URL: fusionAuth.url,
      FUSIONAUTH_API_KEY: fusionAuth.apiKey,
      ERASURE_CONFIRM_DELAY_SECONDS: String(CONFIRM_DELAY_SECONDS),
    });
    const deliver = async (userId: string) => {
      const answer = await webhook!.deleteUser(userId);
      // FusionAuth commits once every webhook has answered: from now on the user is gone.
      if (answer.status >= 200 && answer.status < 300) fusionAuth.users.delete(userId);
      return answer;
    };

    log(`bulk ${inFlight}: ${size.idle} single deliveries to the idle server`);
    const idle: number[] = [];
    for (const userId of idleUsers) idle.push((await deliver(userId)).ms);
    await erasuresDone(ledger, 60_000);
    await front.reset();

    log(`bulk ${inFlight}: ${size.users.toLocaleString('en-US')} deliveries, ${inFlight} in flight`);
    const startedAt = Date.now();
    const answers: { ms: number; status: number }[] = [];
    let next = 0;
    const sender = async () => {
      while (next < users.length) answers.push(await deliver(users[next++]!.id));
    };
    await Promise.all(Array.from({ length: inFlight }, sender));
    const sentSeconds = (Date.now() - startedAt) / 1000;
    log(`bulk ${inFlight}: answered in ${sentSeconds.toFixed(1)} s; waiting for every erasure`);
    await erasuresDone(ledger, 15 * 60_000);
    const erased = (await scan(front, 'Erasures')).filter((r) => r.state === 'erased');
    const doneSeconds = (Math.max(...erased.map((r) => r.erasedAt as number)) - startedAt) / 1000;
    const left = (await scan(front, 'Todos')).length;
    if (erased.length !== size.idle + size.users || left > 0) {
      throw new Error(`bulk ${inFlight}: ${erased.length} of ${size.idle + size.users} erasures erased, ${left} Todos left`);
    }
    const stats = await front.stats();
    const floor = floorOf(stats, limits);
    const writes = sentAndThrottled(stats, 'BatchWriteItem');
    const rate = answers.length / sentSeconds;

    const ms = answers.map((a) => a.ms);
    const notOk = answers.filter((a) => a.status < 200 || a.status > 299).length;
    const idleP50 = percentile(idle, 50);
    const scale = `${size.users.toLocaleString('en-US')} user.delete (0–${size.maxTodos} Todos), ${inFlight} in flight`;
    return [
      {
        name: `Bulk delete, ${scale}: answers not 2xx`,
        value: notOk,
        unit: 'answers',
        baseline: answers.length,
        baselineName: 'sent',
        target: 0,
        note: `FusionAuth sends up to 10,000 with 0–200 Todos each; scaled to ${size.users.toLocaleString('en-US')} with 0–${size.maxTodos} so that a level runs in a minute or two here.`,
      },
      { name: `Bulk delete, ${scale}: p50 answer`, value: percentile(ms, 50), unit: 'ms', baseline: idleP50, baselineName: 'p50, idle server' },
      {
        name: `Bulk delete, ${scale}: p99 answer`,
        value: percentile(ms, 99),
        unit: 'ms',
        baseline: idleP50,
        baselineName: 'p50, idle server',
        target: 2,
        note:
          `${answers.length.toLocaleString('en-US')} answered in ${sentSeconds.toFixed(1)} s, ${Math.round(rate)} a second. npm start is one process: ` +
          `each answer waits behind the others in flight, about ${inFlight} ÷ that rate = ${Math.round((inFlight / rate) * 1000)} ms (Little's law). ` +
          'Deployed, each delivery in flight has a Lambda instance of its own, which this machine cannot show.',
      },
      {
        name: `Bulk delete, ${scale}: every erasure done`,
        value: doneSeconds,
        unit: 's',
        baseline: floor.seconds,
        baselineName: 'floor',
        target: 1.2,
        note:
          `${total.toLocaleString('en-US')} Todos, every table provisioned at ${size.tableWriteUnits} write units a second (partitions at DynamoDB's 1,000); ` +
          `floor: ${floor.bound}. ${writes.throttled} of ${writes.sent} BatchWriteItem throttled.` +
          (doneSeconds > 1.2 * floor.seconds
            ? ' The erasures share the table\'s limit, up to 40 at once in the worker; each paces itself at the rate it alone was admitted when first refused, a small share of the table\'s, and probes up slowly, so the table idles while they wait (bench/README.md).'
            : ''),
      },
    ];
  } finally {
    await webhook?.server.stop();
    await fusionAuth.close();
    await front.close();
  }
}

/** Until no erasure is open: the ledger read straight from the backend, not through the front. */
async function erasuresDone(ledger: DynamoDbErasureLedger, timeoutMs: number): Promise<void> {
  for (const until = Date.now() + timeoutMs; ; await new Promise((resolve) => setTimeout(resolve, 250))) {
    const summary = await ledger.openSummary();
    if (Object.values(summary).every(({ count }) => count === 0)) return;
    if (Date.now() > until) throw new Error(`bulk: erasures still open: ${JSON.stringify(summary)}`);
  }
}

async function scan(front: Front, table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for await (const page of paginateScan({ client: front.admin }, { TableName: table, ConsistentRead: true })) items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
  return items;
}

/**
 * The least time the front's limits allow: each table's write and read units at its provisioned
 * rate, all tables and partitions in parallel, no Todo deleted before the confirmation delay;
 * no partition faster than its own limit either.
 */
function floorOf(stats: FrontStats, limits: ThroughputLimits): { seconds: number; bound: string } {
  const tables = new Map<string, { write: number; read: number }>();
  let floor = { seconds: 0, bound: '' };
  const consider = (seconds: number, bound: string) => {
    if (seconds > floor.seconds) floor = { seconds, bound };
  };
  for (const p of stats.partitions) {
    const name = p.index ? `${p.table} index ${p.index}` : p.table;
    const table = tables.get(name) ?? { write: 0, read: 0 };
    tables.set(name, { write: table.write + p.writeUnits, read: table.read + p.readUnits });
    consider(Math.max(p.writeUnits / limits.partitionWriteUnitsPerSecond, p.readUnits / limits.partitionReadUnitsPerSecond), `one partition of ${name}`);
  }
  const { writeUnitsPerSecond, readUnitsPerSecond } = limits.provisioned!;
  for (const [name, { write, read }] of tables) {
    const delay = name === 'Todos' ? CONFIRM_DELAY_SECONDS : 0;
    const units = write / writeUnitsPerSecond >= read / readUnitsPerSecond ? `${Math.round(write).toLocaleString('en-US')} write units` : `${Math.round(read).toLocaleString('en-US')} read units`;
    consider(delay + Math.max(write / writeUnitsPerSecond, read / readUnitsPerSecond), `${delay ? `the ${delay} s confirmation delay + ` : ''}${name}'s ${units} at its provisioned rate`);
  }
  return floor;
}
