import { InvalidEventError } from '../errors.ts';
import { requireId } from '../events/fields.ts';
import { isReconcileJob, type ReconcileJob, readReconcileJob } from '../reconcile/reconcile-jobs.ts';
import type { FieldValues } from '../targets/key-template.ts';
import { ERASURE_SCOPES, type ErasureScope } from '../targets/target-spec.ts';
import type { Subject } from './ledger.ts';

/**
 * Who is to be erased, and the event fields their keys are built from. The values travel in the
 * (encrypted, short-lived) queue message, never in the ledger: an e-mail address in a key
 * template must not outlive the erasure.
 */
export interface ErasureSubject extends Subject {
  readonly values: FieldValues;
}

interface Chained {
  /** How many jobs came before this one in its chain; the webhook's is 0. */
  readonly hop: number;
  /** When the chain's first job was queued (epoch ms): SQS's own age restarts at every hop. */
  readonly firstQueuedAt: number;
}

/** A look at FusionAuth (or, without its API, at the clock) for a requested erasure. */
export interface ConfirmJob extends Chained {
  readonly kind: 'confirm';
  readonly subject: ErasureSubject;
  readonly cycle: number;
  /** Lookups made so far: the next waits twice as long as the last. */
  readonly attempt: number;
}

/** A confirmed erasure to carry on with, or to take over when its holder stopped. */
export interface EraseJob extends Chained {
  readonly kind: 'erase';
  readonly subject: ErasureSubject;
  readonly cycle: number;
}

/** A last pass over an erased user, for a Todo written with a token that outlived them. */
export interface SecondPassJob extends Chained {
  readonly kind: 'second-pass';
  readonly subject: ErasureSubject;
  readonly cycle: number;
}

/** Scheduled: counts the ledger's open requests into metrics, for the alarms on their age. */
export interface SweepJob {
  readonly kind: 'sweep';
}

/** The jobs of the erasure lifecycle, which ErasureService runs. */
export type LifecycleJob = ConfirmJob | EraseJob | SecondPassJob | SweepJob;
/** Everything on the queue: the lifecycle's jobs, and a scheduled reconcile's (lambda/reconcile). */
export type ErasureJob = LifecycleJob | ReconcileJob;
export type ChainedJob = Exclude<LifecycleJob, SweepJob>;

/** Where the worker's jobs wait; SQS in AWS, in process for `npm start`. */
export interface ErasureJobQueue {
  /** `delaySeconds` up to 900, SQS's longest delay: a longer wait is several hops. */
  send(job: ErasureJob, delaySeconds?: number, signal?: AbortSignal): Promise<void>;
  /** Sets a job aside for a person to look at (the dead-letter queue), with why. */
  deadLetter(job: ErasureJob, reason: string, signal?: AbortSignal): Promise<void>;
}

export { MAX_DELAY_SECONDS } from './erasure-limits.ts';

/** The next job of a chain. */
export const followUp = <J extends ChainedJob>(job: J, changes: Partial<J> = {}): J => ({ ...job, hop: job.hop + 1, ...changes });

/** A message is a job only if every field it names is well formed; anything else fails toward the dead-letter queue. */
export function readJob(body: string, now: number = Date.now()): ErasureJob {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(body) as Record<string, unknown>;
  } catch {
    throw new InvalidEventError('[invalidJSON]', 'The job is not JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null) throw new InvalidEventError('[invalid]job', 'The job must be an object.');
  if (parsed.kind === 'sweep') return { kind: 'sweep' };
  if (isReconcileJob(parsed as { kind: string })) return readReconcileJob(parsed);
  if (parsed.kind !== 'confirm' && parsed.kind !== 'erase' && parsed.kind !== 'second-pass') {
    throw new InvalidEventError('[invalid]kind', `The job's kind must be confirm, erase, second-pass or sweep.`);
  }
  // A job set aside (its hops or age capped) that a person sends back from the dead-letter queue
  // starts a chain of its own: with its old count it would only be set aside again.
  const redriven = typeof parsed.deadLetterReason === 'string';
  const chained = {
    subject: readSubject(parsed.subject),
    cycle: wholeNumber(parsed.cycle, 'cycle', 1),
    hop: redriven ? 0 : wholeNumber(parsed.hop, 'hop', 0),
    firstQueuedAt: redriven ? now : wholeNumber(parsed.firstQueuedAt, 'firstQueuedAt', 0),
  };
  return parsed.kind === 'confirm' ? { kind: 'confirm', ...chained, attempt: wholeNumber(parsed.attempt, 'attempt', 0) } : { kind: parsed.kind, ...chained };
}

function readSubject(value: unknown): ErasureSubject {
  const subject = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (!(ERASURE_SCOPES as readonly unknown[]).includes(subject.scope)) {
    throw new InvalidEventError('[invalid]subject.scope', 'The job\'s subject.scope must be "user" or "registration".');
  }
  const values = (typeof subject.values === 'object' && subject.values !== null ? subject.values : {}) as Record<string, unknown>;
  const userId = requireId(subject.userId, 'subject.userId');
  if (values.userId !== userId) throw new InvalidEventError('[invalid]subject.values', 'The job\'s subject.values must hold its userId.');
  return {
    userId,
    scope: subject.scope as ErasureScope,
    tenantId: subject.tenantId === undefined ? undefined : requireId(subject.tenantId, 'subject.tenantId'),
    values: Object.fromEntries(Object.entries(values).map(([field, text]) => [field, requireId(text, `subject.values.${field}`)])),
  };
}

function wholeNumber(value: unknown, field: string, min: number): number {
  if (!Number.isSafeInteger(value) || (value as number) < min) {
    throw new InvalidEventError(`[invalid]${field}`, `The job's ${field} must be a whole number of at least ${min}.`);
  }
  return value as number;
}
