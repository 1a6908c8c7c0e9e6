import { InvalidEventError } from '../errors.ts';

/**
 * The scheduled reconcile's jobs, on the erasure worker's queue: a start (what the schedule
 * sends), one page of one Scan segment each (a segment is a chain: each page queues the next),
 * and the finish, which decides on the whole run and hands the erasures to the worker.
 */
export interface ReconcileStartJob {
  readonly kind: 'reconcile-start';
}

export interface ReconcilePageJob {
  readonly kind: 'reconcile-page';
  readonly runId: string;
  /** The position of the target among the run's readable targets. */
  readonly target: number;
  readonly segment: number;
  /** 0 for a segment's first page. */
  readonly page: number;
  /** Where the page starts (key-scan.ts encodeKey); none for the first. */
  readonly startKey?: string;
}

export interface ReconcileFinishJob {
  readonly kind: 'reconcile-finish';
  readonly runId: string;
  /** The last user handed to the worker by an earlier finish job of this run. */
  readonly after?: string;
}

export type ReconcileJob = ReconcileStartJob | ReconcilePageJob | ReconcileFinishJob;
export const RECONCILE_JOB_KINDS: readonly ReconcileJob['kind'][] = ['reconcile-start', 'reconcile-page', 'reconcile-finish'];

export const isReconcileJob = (job: { readonly kind: string }): job is ReconcileJob => (RECONCILE_JOB_KINDS as readonly string[]).includes(job.kind);

const RUN_ID = /^[0-9a-f-]{36}$/;

/** A reconcile job from a message: every field checked, as readJob checks the others. */
export function readReconcileJob(parsed: Readonly<Record<string, unknown>>): ReconcileJob {
  if (parsed.kind === 'reconcile-start') return { kind: 'reconcile-start' };
  const runId = parsed.runId;
  if (typeof runId !== 'string' || !RUN_ID.test(runId)) throw new InvalidEventError('[invalid]runId', "The reconcile job's runId must be a run's id.");
  if (parsed.kind === 'reconcile-finish') {
    if (parsed.after !== undefined && typeof parsed.after !== 'string') throw new InvalidEventError('[invalid]after', "The reconcile job's after must be a string.");
    return { kind: 'reconcile-finish', runId, ...(typeof parsed.after === 'string' && { after: parsed.after }) };
  }
  if (parsed.startKey !== undefined && typeof parsed.startKey !== 'string') throw new InvalidEventError('[invalid]startKey', "The reconcile job's startKey must be a string.");
  return {
    kind: 'reconcile-page',
    runId,
    target: count(parsed.target, 'target'),
    segment: count(parsed.segment, 'segment'),
    page: count(parsed.page, 'page'),
    ...(typeof parsed.startKey === 'string' && { startKey: parsed.startKey }),
  };
}

function count(value: unknown, field: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw new InvalidEventError(`[invalid]${field}`, `The reconcile job's ${field} must be a whole number.`);
  return value as number;
}
