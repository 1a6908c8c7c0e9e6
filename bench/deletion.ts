/**
 * 3. Deletion: the store deleting 1,000, 10,000 and 50,000 Todos (wall time, DynamoDB requests)
 * against the floor (a keys-only Query and BatchWriteItem of 25 at the same concurrency, nothing
 * else) and against the naive way (one DeleteItem per Todo, in sequence). Every run gets a
 * fresh partition seeded just before it (seeding untimed), so the table holds only that one
 * partition while it runs; the order of the contenders rotates from one repetition to the next,
 * and ratios are the median of per-repetition ratios, each run paired with its neighbours.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BATCH_SIZE, DEFAULT_CONCURRENCY, DynamoDbTodoStore } from '../lambda/todos/dynamodb-todo-store.ts';
import { addTodos, countTodos } from '../local/todo-admin.ts';
import { deleteAllAtFloor } from './baselines/floor-deletion.ts';
import { Todo } from './baselines/passport-todo-model.ts';
import type { BenchContext, BenchResult } from './lib/context.ts';
import { LOCAL_AWS, localCredentials, TODO_TABLE } from './lib/local-dynamodb.ts';
import { countRequests, type RequestCount, type RequestCounter } from './lib/request-counter.ts';
import { type Row, row } from './lib/rows.ts';
import { median, round } from './lib/stats.ts';

const SECTION = 'Deletion';
/** The target: the store within 1.15× of the floor's time. */
const TIME_TARGET = 1.15;
/** The floor runs at the store's own default concurrency. */
const CONCURRENCY = DEFAULT_CONCURRENCY;
/** Seeding runs this many writers at once: it is not measured, only waited for. */
const SEED_WRITERS = 4;

type Contender = 'ours' | 'floor' | 'naive';

interface Run {
  readonly contender: Contender;
  readonly todos: number;
  readonly rep: number;
  readonly ms: number;
  readonly requests: RequestCount;
}

interface SizePlan {
  readonly todos: number;
  /** Repetitions of ours and the floor. */
  readonly reps: number;
  /** Repetitions of the naive way; 0: extrapolated from the largest size it ran at. */
  readonly naiveReps: number;
}

function plan(ctx: BenchContext): SizePlan[] {
  if (ctx.quick) {
    return [
      { todos: 1_000, reps: 3, naiveReps: 1 },
      { todos: 10_000, reps: 1, naiveReps: 0 },
    ];
  }
  // The naive way takes about 1 ms per Todo on dynalite: 50,000 of them only with --full.
  return [
    { todos: 1_000, reps: 11, naiveReps: 3 },
    { todos: 10_000, reps: 5, naiveReps: 1 },
    { todos: 50_000, reps: 3, naiveReps: ctx.full ? 1 : 0 },
  ];
}

const clientFor = (endpoint: string, options: { retryMode?: string } = {}) =>
  new DynamoDBClient({ endpoint, region: LOCAL_AWS.AWS_REGION, credentials: localCredentials(), ...options });

export async function deletion(ctx: BenchContext): Promise<BenchResult> {
  const { endpoint, admin } = ctx.dynamoDb;
  const sizes = plan(ctx);
  // As lambda/wiring.ts builds the store: adaptive retry mode, the store's default options.
  const oursClient = clientFor(endpoint, { retryMode: 'adaptive' });
  const floorClient = clientFor(endpoint);
  const naiveClient = clientFor(endpoint);
  const store = new DynamoDbTodoStore(oursClient, TODO_TABLE);
  const naive = new Todo(naiveClient, TODO_TABLE);
  const contenders: Record<Contender, { counter: RequestCounter; remove: (userId: string) => Promise<number> }> = {
    ours: {
      counter: countRequests(oursClient),
      remove: async (userId) => {
        const report = await store.deleteAllOf(userId);
        if (!report.finished || report.remaining > 0) throw new Error(`the store left Todos: ${JSON.stringify(report)}`);
        return report.deleted;
      },
    },
    floor: { counter: countRequests(floorClient), remove: (userId) => deleteAllAtFloor(floorClient, TODO_TABLE, userId, CONCURRENCY) },
    naive: { counter: countRequests(naiveClient), remove: (userId) => naive.deleteAll(userId) },
  };

  const seed = async (userId: string, todos: number) => {
    const share = Math.ceil(todos / SEED_WRITERS);
    await Promise.all(
      Array.from({ length: SEED_WRITERS }, (_, i) => addTodos(admin, TODO_TABLE, userId, Math.max(0, Math.min(share, todos - i * share)))),
    );
  };

  let partition = 0;
  const runOnce = async (contender: Contender, todos: number, rep: number): Promise<Run> => {
    const userId = `bench-deletion-${todos}-${contender}-${rep}-${partition++}`;
    await seed(userId, todos);
    const { counter, remove } = contenders[contender];
    counter.take();
    const started = performance.now();
    const deleted = await remove(userId);
    const ms = performance.now() - started;
    const requests = counter.take();
    const left = await countTodos(admin, TODO_TABLE, userId);
    if (deleted !== todos || left !== 0) throw new Error(`${contender} deleted ${deleted} of ${todos} Todos and left ${left}`);
    return { contender, todos, rep, ms, requests };
  };

  // Connections, JIT and dynalite's first writes: paid here, by no measured run.
  for (const contender of ['ours', 'floor', 'naive'] as const) await runOnce(contender, 200, -1);

  const runs: Run[] = [];
  for (const { todos, reps, naiveReps } of sizes) {
    ctx.log(`deletion: ${todos.toLocaleString('en-US')} Todos, ${reps} run(s) of ours and the floor, ${naiveReps} of the naive way`);
    for (let rep = 0; rep < reps; rep++) {
      const order: Contender[] = rep < naiveReps ? ['ours', 'floor', 'naive'] : ['ours', 'floor'];
      // Rotate who goes first, so that no contender always runs right after another's garbage.
      for (let i = 0; i < order.length; i++) runs.push(await runOnce(order[(i + rep) % order.length]!, todos, rep));
    }
  }
  for (const client of [oursClient, floorClient, naiveClient]) client.destroy();
  return {
    rows: sizes.flatMap(({ todos }) => rowsFor(todos, runs)),
    raw: { plan: sizes, concurrency: CONCURRENCY, runs: runs.map((r) => ({ ...r, ms: round(r.ms, 1) })) },
  };
}

/** What a run sent beyond one request per Query page and one per 25 Todos: SDK retries and resent batches. */
const retriesOf = (run: Run) => run.requests.sdkRetries + Math.max(0, (run.requests.commands.BatchWriteItem ?? 0) - Math.ceil(run.todos / BATCH_SIZE));

/** ours / theirs for each repetition both ran: neighbours in time, so drift between repetitions cancels. */
const pairRatios = (ours: readonly Run[], theirs: readonly Run[], value: (run: Run) => number): number[] =>
  theirs.map((t) => value(ours.find((o) => o.rep === t.rep)!) / value(t));

const pairedRatio = (ours: readonly Run[], theirs: readonly Run[], value: (run: Run) => number): number =>
  median(pairRatios(ours, theirs, value));

/** Why a time ratio over the target can be noise: the spread of the pairs it is the median of. */
const noiseNote = (ratios: readonly number[]): string =>
  ratios.length < 3
    ? `${ratios.length} repetition(s) (--quick) cannot tell the store from this machine's noise; run without --quick. See Performance in the README.`
    : `per-repetition ratios ran from ${Math.min(...ratios).toFixed(2)} to ${Math.max(...ratios).toFixed(2)}×. The store sends the ` +
  'floor\'s requests (next row) and adds per batch only deadline and limit checks (microseconds against milliseconds per ' +
  'request): a gap inside that spread is the machine\'s noise. See Performance in the README.';

function rowsFor(todos: number, runs: readonly Run[]): Row[] {
  const of = (contender: Contender, size = todos) => runs.filter((r) => r.contender === contender && r.todos === size);
  const ours = of('ours');
  const floor = of('floor');
  const label = `${todos.toLocaleString('en-US')} Todos`;
  const seconds = (rs: readonly Run[]) => median(rs.map((r) => r.ms)) / 1000;
  const requests = (rs: readonly Run[]) => median(rs.map((r) => r.requests.httpRequests));
  const timeRatios = pairRatios(ours, floor, (r) => r.ms);
  const rows = [
    row({
      id: `deletion.${todos}.time-vs-floor`,
      section: SECTION,
      label: `${label}, time (median of ${ours.length})`,
      ours: { value: seconds(ours), unit: 's' },
      baseline: { value: seconds(floor), unit: 's' },
      baselineName: 'floor',
      ratio: median(timeRatios),
      target: { kind: 'max-ratio', max: TIME_TARGET },
      note: median(timeRatios) > TIME_TARGET ? noiseNote(timeRatios) : undefined,
    }),
    row({
      id: `deletion.${todos}.requests-vs-floor`,
      section: SECTION,
      label: `${label}, DynamoDB requests`,
      ours: { value: requests(ours), unit: 'requests' },
      baseline: { value: requests(floor), unit: 'requests' },
      baselineName: 'floor',
      target: { kind: 'baseline-plus-retries', retries: Math.max(...ours.map(retriesOf)) },
    }),
  ];

  const naive = of('naive');
  if (naive.length > 0) {
    rows.push(
      row({
        id: `deletion.${todos}.time-vs-naive`,
        section: SECTION,
        label: `${label}, time vs naive (median of ${naive.length})`,
        ours: { value: seconds(ours), unit: 's' },
        baseline: { value: seconds(naive), unit: 's' },
        baselineName: 'naive',
        ratio: pairedRatio(ours, naive, (r) => r.ms),
        target: { kind: 'expected-gain', low: 5, high: 7, what: 'less time' },
      }),
      row({
        id: `deletion.${todos}.requests-vs-naive`,
        section: SECTION,
        label: `${label}, requests vs naive`,
        ours: { value: requests(ours), unit: 'requests' },
        baseline: { value: requests(naive), unit: 'requests' },
        baselineName: 'naive',
        target: { kind: 'expected-gain', low: 24, high: 25, what: 'fewer requests' },
      }),
    );
    return rows;
  }

  // Not run at this size: the naive way's cost is one DeleteItem per Todo, so it scales linearly
  // from the largest size it ran at; its requests are one per Todo plus ours' Query pages.
  const from = Math.max(...runs.filter((r) => r.contender === 'naive' && r.rep >= 0).map((r) => r.todos));
  const scale = todos / from;
  const estimate = seconds(of('naive', from)) * scale;
  const queryPages = median(ours.map((r) => r.requests.commands.Query ?? 0));
  const how = `extrapolated ×${scale} from ${from.toLocaleString('en-US')} Todos; --full measures it`;
  rows.push(
    row({
      id: `deletion.${todos}.time-vs-naive`,
      section: SECTION,
      label: `${label}, time vs naive (estimate)`,
      ours: { value: seconds(ours), unit: 's' },
      baseline: { value: estimate, unit: 's', label: `≈ ${estimate.toFixed(0)} s` },
      baselineName: 'naive',
      target: { kind: 'expected-gain', low: 5, high: 7, what: 'less time' },
      note: `the naive time is ${how}.`,
    }),
    row({
      id: `deletion.${todos}.requests-vs-naive`,
      section: SECTION,
      label: `${label}, requests vs naive (count)`,
      ours: { value: requests(ours), unit: 'requests' },
      baseline: { value: todos + queryPages, unit: 'requests' },
      baselineName: 'naive',
      target: { kind: 'expected-gain', low: 24, high: 25, what: 'fewer requests' },
      note: `the naive count is one DeleteItem per Todo plus the ${queryPages} Query pages ours read.`,
    }),
  );
  return rows;
}
