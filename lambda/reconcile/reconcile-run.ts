import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ErasureLedger, ErasureRecord } from '../erasure/ledger.ts';
import type { FieldValues } from '../targets/key-template.ts';
import type { ResolvedTarget } from '../targets/table-schema.ts';
import { idKey, isFusionAuthId } from './fusionauth-ids.ts';
import { type TargetKeyReader, targetKeyReader } from './key-inverse.ts';
import { scanAllPages } from './key-scan.ts';
import { HopelessRatioError, type MissingUser, MissingUserFinder, type NotFusionAuthIds } from './missing-user-finder.ts';
import { judgeMissing, type MissingTally } from './missing-ratio.ts';
import type { ReconcileEraser } from './reconcile-erasure.ts';
import type { UserChecker } from './user-checker.ts';

export interface ReconcileOptions {
  readonly segments: number;
  readonly maxMissing: number;
  /** Lookups in flight at once. */
  readonly concurrency: number;
  /** Record and erase; without it, only report. */
  readonly apply: boolean;
  /** Erasures at once while applying. */
  readonly eraseConcurrency?: number;
  readonly recentCapacity?: number;
  readonly signal?: AbortSignal;
}

export interface ReconcileDependencies {
  readonly client: DynamoDBClient;
  readonly targets: readonly ResolvedTarget[];
  readonly checker: UserChecker;
  readonly ledger: ErasureLedger;
  /** Needed with `apply`. */
  readonly eraser?: ReconcileEraser;
  readonly todoApplicationId?: string;
  readonly progress?: (event: ProgressEvent) => void;
}

export type ProgressEvent =
  | { readonly phase: 'scan'; readonly items: number; readonly checked: number; readonly missing: number }
  | { readonly phase: 'erase'; readonly erased: number; readonly total: number; readonly todosDeleted: number }
  | { readonly phase: 'unconfirmed'; readonly resolved: number; readonly total: number };

export interface TargetSummary {
  readonly name: string;
  /** Why it was not scanned. */
  readonly skipped?: string;
  /** Items the Scan returned. */
  items: number;
  /** Items whose keys the target's templates do not render (another kind of item): not a user's. */
  unmatched: number;
}

export interface MissingUserReport extends MissingUser {
  readonly totalTodos: number;
  /** With --apply. */
  erasure?: { readonly outcome: 'erased' | 'already-erased' | 'failed'; readonly todosDeleted: number; readonly error?: string };
}

export interface UnconfirmedReport {
  readonly userId: string;
  readonly scope: ErasureRecord['scope'];
  readonly tenantId: string | undefined;
  readonly cycle: number;
  /** What FusionAuth says now. */
  readonly found: 'gone' | 'present' | 'not-a-fusionauth-id';
  /** What was (or, in a dry run, would be) done. */
  action: 'confirm' | 'roll-back' | 'none';
  done: boolean;
  todosDeleted?: number;
  error?: string;
}

/** A reconcile erasure an earlier run left unfinished (killed after its user's last item went, before the receipt). */
export interface ResumedReport {
  readonly userId: string;
  readonly scope: ErasureRecord['scope'];
  outcome: 'erased' | 'already-erased' | 'failed';
  todosDeleted: number;
  error?: string;
}

export interface ReconcileReport {
  readonly apply: boolean;
  readonly targets: readonly TargetSummary[];
  readonly checked: number;
  readonly missing: number;
  readonly ratio: number;
  readonly maxMissing: number;
  /** refused: too many missing (`reason`); nothing was recorded or erased. */
  readonly verdict: 'within' | 'refused';
  readonly reason?: string;
  /** Stopped before the whole Scan, the ratio being hopeless after a sample. */
  readonly stoppedEarly: boolean;
  readonly notFusionAuthIds: NotFusionAuthIds;
  readonly missingUsers: readonly MissingUserReport[];
  readonly unconfirmed: readonly UnconfirmedReport[];
  /** With --apply: reconcile erasures of earlier runs carried on to their receipt. */
  readonly resumed: readonly ResumedReport[];
  readonly erased: number;
  readonly todosDeleted: number;
  /** Erasures that failed: the run exits 1, and the next run resumes them. */
  readonly failed: number;
}

/**
 * The reconcile: Scan every target that can name its owners, ask FusionAuth about each owner,
 * and only once every user has been asked, decide on the whole run's missing share; within it,
 * and with `apply`, erase each missing user and resolve the ledger's unconfirmed requests.
 */
export async function runReconcile(deps: ReconcileDependencies, options: ReconcileOptions): Promise<ReconcileReport> {
  const readers: TargetKeyReader[] = [];
  const targets: TargetSummary[] = deps.targets.map((target) => {
    const reading = targetKeyReader(target);
    if (!reading.readable) return { name: target.name, skipped: reading.reason, items: 0, unmatched: 0 };
    readers.push(reading.reader);
    return { name: target.name, items: 0, unmatched: 0 };
  });
  let items = 0;
  // Stops the other segments and lookups once one fails, or the ratio is past saving.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const finder = new MissingUserFinder(
    deps.checker,
    {
      concurrency: options.concurrency,
      maxMissing: options.maxMissing,
      recentCapacity: options.recentCapacity,
      onChecked: ({ checked, missing }) => deps.progress?.({ phase: 'scan', items, checked, missing }),
    },
    signal,
  );
  let stoppedEarly = false;
  try {
    for (const reader of readers) {
      const summary = targets.find(({ name }) => name === reader.target.name)!;
      await scanAllPages(
        deps.client,
        reader,
        options.segments,
        async (page) => {
          const owners = [];
          for (const item of page) {
            const owner = reader.read(item);
            if (owner) owners.push(owner);
            else summary.unmatched += 1;
          }
          summary.items += page.length;
          items += page.length;
          await finder.take(reader.target.name, owners);
        },
        signal,
      );
    }
    await finder.flush();
  } catch (error) {
    stop.abort();
    if (!(error instanceof HopelessRatioError)) throw error;
    stoppedEarly = true;
  }
  deps.progress?.({ phase: 'scan', items, checked: finder.tally.checked, missing: finder.tally.missing });

  const tally: MissingTally = finder.tally;
  const verdict = judgeMissing(tally, options.maxMissing);
  const missingUsers: MissingUserReport[] = [...finder.missing.values()]
    .map((user) => ({ ...user, totalTodos: Object.values(user.todos).reduce((sum, count) => sum + count, 0) }))
    .sort((a, b) => a.userId.localeCompare(b.userId));
  const refused = verdict.outcome === 'refused';
  const unconfirmed = refused ? [] : await lookAtUnconfirmed(deps);

  let erased = 0;
  let todosDeleted = 0;
  let failed = 0;
  const resumed: ResumedReport[] = [];
  if (options.apply && !refused) {
    const eraser = deps.eraser;
    if (!eraser) throw new Error('applying needs an eraser');
    let done = 0;
    await inParallel(missingUsers, options.eraseConcurrency ?? 4, async (user) => {
      try {
        const result = await eraser.erase({ userId: user.userId, scope: 'user', tenantId: user.tenantId, values: user.values }, options.signal);
        user.erasure = result;
        if (result.outcome === 'erased') erased += 1;
        todosDeleted += result.todosDeleted;
      } catch (error) {
        if (options.signal?.aborted) throw error;
        failed += 1;
        user.erasure = { outcome: 'failed', todosDeleted: 0, error: error instanceof Error ? error.message : String(error) };
      }
      done += 1;
      deps.progress?.({ phase: 'erase', erased: done, total: missingUsers.length, todosDeleted });
    });
    // A run killed once a user's last item was gone left no item to find that user by: the
    // ledger's open reconcile erasures are carried on to their receipt.
    const found = new Set(missingUsers.map(({ userId }) => idKey(userId)));
    for (const record of await openReconcileErasures(deps.ledger)) {
      if (record.scope === 'user' && found.has(idKey(record.userId))) continue;
      const entry: ResumedReport = { userId: record.userId, scope: record.scope, outcome: 'failed', todosDeleted: 0 };
      resumed.push(entry);
      try {
        const values = valuesOf(record, deps.todoApplicationId);
        const result = await eraser.erase({ userId: record.userId, scope: record.scope, tenantId: record.tenantId, values }, options.signal);
        Object.assign(entry, result);
        todosDeleted += result.todosDeleted;
      } catch (error) {
        if (options.signal?.aborted) throw error;
        failed += 1;
        entry.error = error instanceof Error ? error.message : String(error);
      }
    }
    let resolved = 0;
    for (const entry of unconfirmed) {
      try {
        const counts = await resolveUnconfirmed(deps, eraser, entry, options.signal);
        todosDeleted += counts;
      } catch (error) {
        if (options.signal?.aborted) throw error;
        failed += 1;
        entry.error = error instanceof Error ? error.message : String(error);
      }
      resolved += 1;
      deps.progress?.({ phase: 'unconfirmed', resolved, total: unconfirmed.length });
    }
  }
  return {
    apply: options.apply,
    targets,
    checked: tally.checked,
    missing: tally.missing,
    ratio: verdict.ratio,
    maxMissing: options.maxMissing,
    verdict: verdict.outcome,
    ...(verdict.outcome === 'refused' && { reason: stoppedEarly ? `${verdict.reason} (stopped early: the share was hopeless after ${tally.checked} users)` : verdict.reason }),
    stoppedEarly,
    notFusionAuthIds: finder.notFusionAuthIds,
    missingUsers,
    unconfirmed,
    resumed,
    erased,
    todosDeleted,
    failed,
  };
}

/** The ledger's unconfirmed requests, each looked up as the scan's users are. */
async function lookAtUnconfirmed(deps: ReconcileDependencies): Promise<UnconfirmedReport[]> {
  const records: ErasureRecord[] = [];
  let after: string | undefined;
  do {
    const page = await deps.ledger.list({ state: 'unconfirmed', after, limit: 500 });
    records.push(...page.records);
    after = page.next;
  } while (after);
  const reports: UnconfirmedReport[] = [];
  const app = deps.todoApplicationId?.toLowerCase();
  for (const record of records) {
    const base = { userId: record.userId, scope: record.scope, tenantId: record.tenantId, cycle: record.cycle, done: false };
    if (!isFusionAuthId(record.userId)) {
      reports.push({ ...base, found: 'not-a-fusionauth-id', action: 'none' });
      continue;
    }
    const { present } = await deps.checker.check([record.userId], record.tenantId);
    const user = present.find(({ id }) => idKey(id) === idKey(record.userId));
    // A registration's erasure is confirmed when the user is gone or no longer registered for the Todo app.
    const gone = !user || (record.scope === 'registration' && app !== undefined && !user.applicationIds.includes(app));
    reports.push({ ...base, found: gone ? 'gone' : 'present', action: gone ? 'confirm' : 'roll-back' });
  }
  return reports;
}

async function resolveUnconfirmed(deps: ReconcileDependencies, eraser: ReconcileEraser, entry: UnconfirmedReport, signal?: AbortSignal): Promise<number> {
  if (entry.action === 'none') return 0;
  // The scan's own erasures may have resolved it already (its user was missing too).
  const record = await deps.ledger.get(entry.userId, entry.scope);
  if (!record || record.cycle !== entry.cycle || record.state !== 'unconfirmed') {
    entry.done = record?.state === 'erased' && record.confirmedBy === 'reconcile';
    return 0;
  }
  if (entry.action === 'roll-back') {
    entry.done = await eraser.rollBack(record, 'reconcile: FusionAuth still had the user');
    return 0;
  }
  const result = await eraser.erase({ userId: record.userId, scope: record.scope, tenantId: record.tenantId, values: valuesOf(record, deps.todoApplicationId) }, signal);
  entry.done = true;
  entry.todosDeleted = result.todosDeleted;
  return result.todosDeleted;
}

/** The key fields a ledger record can give back: the values themselves never go into the ledger. */
function valuesOf(record: ErasureRecord, todoApplicationId: string | undefined): FieldValues {
  return {
    userId: record.userId,
    ...(record.tenantId && { tenantId: record.tenantId }),
    ...(record.scope === 'registration' && todoApplicationId && { applicationId: todoApplicationId }),
  };
}

/** Confirmed or erasing records that a reconcile confirmed (the worker carries on the others). */
async function openReconcileErasures(ledger: ErasureLedger): Promise<ErasureRecord[]> {
  const records: ErasureRecord[] = [];
  for (const state of ['confirmed', 'erasing'] as const) {
    let after: string | undefined;
    do {
      const page = await ledger.list({ state, after, limit: 500 });
      records.push(...page.records.filter((record) => record.confirmedBy === 'reconcile'));
      after = page.next;
    } while (after);
  }
  return records;
}

async function inParallel<T>(items: readonly T[], concurrency: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}
