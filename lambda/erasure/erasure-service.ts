import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { DeletionUnfinishedError, TodosRemainError } from '../errors.ts';
import { requireId } from '../events/fields.ts';
import { fieldValuesOf, planErasure, targetsFor } from '../targets/erasure-plan.ts';
import type { TargetCatalog } from '../targets/target-catalog.ts';
import type { ErasureScope } from '../targets/target-spec.ts';
import { EraseInterruptedError, type TodoEraser } from '../targets/todo-eraser.ts';
import { nextLookIn } from './confirmation-schedule.ts';
import type { ErasureMetrics } from './erasure-metrics.ts';
import {
  type ChainedJob,
  type ConfirmJob,
  type EraseJob,
  type ErasureJob,
  type ErasureJobQueue,
  type ErasureSubject,
  followUp,
  type LifecycleJob,
  MAX_DELAY_SECONDS,
  type SecondPassJob,
} from './jobs.ts';
import {
  claim,
  type ConfirmedBy,
  confirm,
  countSecondPass,
  end,
  type ErasureLedger,
  type ErasureRecord,
  type EventRef,
  finish,
  noteCheck,
  release,
  request,
} from './ledger.ts';
import type { UserDirectory } from './fusionauth-users.ts';

export interface ErasureSettings {
  /** How long after a request FusionAuth is first asked (ERASURE_CONFIRM_DELAY_SECONDS). */
  readonly confirmDelaySeconds: number;
  /** How long a request waits for its confirmation before it is rolled back or unconfirmed (ERASURE_CONFIRM_WINDOW_SECONDS). */
  readonly windowSeconds: number;
  /** How long an erased or rolled-back receipt is kept (ERASURE_RETENTION_DAYS). */
  readonly retentionSeconds: number;
  /** When the last pass over an erased user runs (0: none); by default after any erasure that reads an index. */
  readonly secondPassSeconds: number | 'when-indexed';
  /** The application whose registrations own Todos. */
  readonly todoApplicationId: string | undefined;
  /** Whether the worker asks FusionAuth's API (FUSIONAUTH_URL): the first look then comes after the delay, not at the window's end. */
  readonly confirmThroughApi: boolean;
}

export interface ErasureServiceDependencies {
  readonly ledger: ErasureLedger;
  readonly eraser: TodoEraser;
  readonly targets: TargetCatalog;
  /** Absent (sam local, some tests): requests are recorded but never looked at, and an erasure must finish inline. */
  readonly queue: ErasureJobQueue | undefined;
  /** FusionAuth's API, which the worker asks; the webhook never does. */
  readonly users: UserDirectory | undefined;
  readonly settings: ErasureSettings;
  readonly metrics: ErasureMetrics;
  readonly logger: Logger;
  readonly now?: () => number;
}

export interface RunLimits {
  /** No new request starts after this instant (epoch ms). */
  readonly deadline: number;
  /**
   * Aborts deletions still on the wire some time after the deadline, early enough that what they
   * did is recorded before `signal`. Without it, `signal` aborts them.
   */
  readonly eraseSignal?: AbortSignal;
  /** Aborts everything under way, the ledger's writes too: the caller's own time is up. */
  readonly signal?: AbortSignal;
}

export type AcceptOutcome = 'accepted' | 'duplicate';

export interface ErasureResult {
  /** erased: finished here; continued: the rest is queued; under-way: someone else has it. */
  readonly outcome: 'erased' | 'continued' | 'under-way' | 'duplicate';
  readonly todosDeleted: number;
}

/** A chain that has hopped this often, or lived this long, is set aside: something keeps it from ending. */
export const MAX_JOB_HOPS = 1_000;
export const MAX_JOB_AGE_MS = 3 * 24 * 3600 * 1000;
/**
 * A holder keeps its lease this long past its deadline, to count what it did and let go: longer
 * than the worker lets its deletions under way run on (job-runner.ts), so two never count one.
 */
const LEASE_MARGIN_MS = 3_000;

/**
 * The erasure lifecycle: a request before FusionAuth's commit, its confirmation after (a
 * `.complete` event, or FusionAuth's API looked at by the worker), and the erasure itself, held
 * by one lease at a time and handed on through the queue until every target is empty.
 */
export class ErasureService {
  readonly #now: () => number;

  constructor(private readonly deps: ErasureServiceDependencies) {
    this.#now = deps.now ?? Date.now;
  }

  /** The erasure an event asks for, its key fields checked against the targets: a 400 names what is missing. */
  async subjectOf(event: Readonly<Record<string, unknown>>, scope: ErasureScope, type: string): Promise<ErasureSubject> {
    const values = fieldValuesOf(event, this.deps.targets.fieldsFor(scope), type);
    const subject = { userId: values.userId!, scope, tenantId: tenantOf(event), values };
    // Every key is built once now, so a value that cannot be a key is refused before anything is recorded.
    await this.#plan(subject);
    return subject;
  }

  /** Before the commit: records the request and schedules the first look. No Todo is touched. */
  async accept(subject: ErasureSubject, event: EventRef, { signal }: Pick<RunLimits, 'signal'> = {}): Promise<AcceptOutcome> {
    const now = this.#now();
    const { outcome, record } = await this.deps.ledger.update(subject.userId, subject.scope, (current) => request(current, subject, event, now), signal);
    if (outcome === 'duplicate') return 'duplicate';
    if (outcome === 'new-cycle') {
      this.deps.metrics('ErasuresRequested', { scope: subject.scope });
      await this.#scheduleFirstLook(subject, record, signal);
    }
    return 'accepted';
  }

  /**
   * After the commit: confirms and erases within `limits`, the rest handed to the queue. Every
   * confirmed cycle has a look scheduled that watches it to its end, so that a crash here cannot
   * leave it half done: the request's own, or one queued now, before anything is deleted.
   */
  async confirmAndErase(subject: ErasureSubject, by: ConfirmedBy, limits: RunLimits, event?: EventRef): Promise<ErasureResult> {
    const now = this.#now();
    const { outcome, record, previous } = await this.deps.ledger.update(
      subject.userId,
      subject.scope,
      (current) => confirm(current, subject, by, now, { event }),
      limits.signal,
    );
    if (outcome === 'stale' || !record) return { outcome: 'under-way', todosDeleted: 0 };
    const leaseMs = Math.max(0, limits.deadline - now) + LEASE_MARGIN_MS;
    if (outcome === 'confirmed') {
      this.#confirmed(record, by);
      if (this.deps.queue && previous !== 'requested') {
        const watcher: ConfirmJob = { kind: 'confirm', subject, cycle: record.cycle, attempt: 0, hop: 0, firstQueuedAt: now };
        await this.deps.queue.send(watcher, leaseMs / 1000, limits.signal);
      }
    }
    // A redelivery of the event resumes an erasure nobody holds (its first run ran out of time):
    // the lease decides who erases.
    const result = await this.#erase(subject, record.cycle, limits, leaseMs, undefined);
    return outcome === 'duplicate' && result.outcome === 'under-way' ? { outcome: 'duplicate', todosDeleted: 0 } : result;
  }

  /** One job of the worker. Throws only for what SQS should retry; everything else is handled here. */
  async runJob(job: LifecycleJob, limits: RunLimits): Promise<void> {
    if (job.kind === 'sweep') return this.#sweep();
    this.deps.metrics('ErasureJobHops', { kind: job.kind }, job.hop);
    const age = this.#now() - job.firstQueuedAt;
    // A first job cannot be a loop, whatever its clock says (a sample event replayed a year on).
    if (job.hop > MAX_JOB_HOPS || (job.hop > 0 && age > MAX_JOB_AGE_MS)) {
      await this.#deadLetter(job, `the chain hopped ${job.hop} times over ${Math.round(age / 1000)} s without ending`, limits.signal);
      return;
    }
    if (job.kind === 'confirm') return this.#look(job, limits);
    if (job.kind === 'erase') {
      await this.#erase(job.subject, job.cycle, limits, Math.max(0, limits.deadline - this.#now()) + LEASE_MARGIN_MS, job);
      return;
    }
    return this.#secondPass(job, limits);
  }

  async #scheduleFirstLook(subject: ErasureSubject, record: ErasureRecord, signal: AbortSignal | undefined): Promise<void> {
    if (!this.deps.queue) return;
    const job: ConfirmJob = { kind: 'confirm', subject, cycle: record.cycle, attempt: 0, hop: 0, firstQueuedAt: record.requestedAt };
    const { confirmThroughApi, confirmDelaySeconds, windowSeconds } = this.deps.settings;
    const delay = confirmThroughApi ? confirmDelaySeconds : Math.min(MAX_DELAY_SECONDS, windowSeconds);
    try {
      await this.deps.queue.send(job, delay, signal);
    } catch (error) {
      // The delivery fails (500), so FusionAuth rolls back if its transaction level counts this
      // webhook; if it does not, the user is gone. Only a person can tell: never erase on a guess.
      // Recorded even when the caller's time is up (the send may have failed for that): a request
      // left open without a look would wait for the sweep's alarm.
      await this.deps.ledger
        .update(subject.userId, subject.scope, (current) =>
          end(current, record.cycle, 'unconfirmed', 'its first look could not be queued', this.#now(), this.deps.settings.retentionSeconds),
        )
        .then(() => this.deps.metrics('ErasuresUnconfirmed', { scope: subject.scope }))
        .catch(() => undefined);
      throw error;
    }
  }

  /**
   * A look at a cycle, which watches it to its end: a requested erasure is confirmed (FusionAuth's
   * API when configured, else only the clock ends it); a confirmed one nobody holds is taken over;
   * one being erased is looked at again when its lease ends.
   */
  async #look(job: ConfirmJob, limits: RunLimits): Promise<void> {
    const { subject, cycle } = job;
    const { signal } = limits;
    const record = await this.deps.ledger.get(subject.userId, subject.scope, signal);
    if (!record || record.cycle !== cycle) return;
    const now = this.#now();
    if (record.state === 'erasing' && (record.leaseUntil ?? 0) > now) {
      return this.#lookAgain(job, (record.leaseUntil! - now) / 1000 + 1, signal);
    }
    if (record.state === 'confirmed' || record.state === 'erasing') {
      const chain: EraseJob = { kind: 'erase', subject, cycle, hop: job.hop, firstQueuedAt: job.firstQueuedAt };
      await this.#erase(subject, cycle, limits, Math.max(0, limits.deadline - now) + LEASE_MARGIN_MS, chain);
      return;
    }
    if (record.state !== 'requested') return;
    const windowEnd = record.requestedAt + this.deps.settings.windowSeconds * 1000;
    const over = now >= windowEnd;
    const { users } = this.deps;
    if (!users || !this.deps.settings.confirmThroughApi) {
      if (over) return this.#end(subject, cycle, 'unconfirmed', 'no .complete event came within the window, and FusionAuth\'s API is not configured', signal);
      return this.#lookAgain(job, Math.min(MAX_DELAY_SECONDS, (windowEnd - now) / 1000), signal);
    }
    const found = await users.lookUp(subject.userId, subject.tenantId, signal);
    const gone =
      found.outcome === 'absent' ||
      (found.outcome === 'present' &&
        subject.scope === 'registration' &&
        !found.applicationIds.includes(this.deps.settings.todoApplicationId?.toLowerCase() ?? ''));
    if (gone) {
      const confirmed = await this.deps.ledger.update(
        subject.userId,
        subject.scope,
        (current) => confirm(current, subject, 'api', this.#now(), { cycle }),
        signal,
      );
      if (confirmed.outcome !== 'confirmed') return;
      this.#confirmed(confirmed.record!, 'api');
      const chain: EraseJob = { kind: 'erase', subject, cycle, hop: job.hop, firstQueuedAt: job.firstQueuedAt };
      await this.#erase(subject, cycle, limits, Math.max(0, limits.deadline - this.#now()) + LEASE_MARGIN_MS, chain);
      return;
    }
    const seen = found.outcome === 'present' ? (subject.scope === 'user' ? 'user exists' : 'still registered') : found.outcome === 'refused' ? `key refused (HTTP ${found.status})` : `unavailable (${found.detail})`;
    if (found.outcome === 'refused') {
      // A configuration error: logged and alarmed, and the request waits for the key to be fixed.
      this.deps.logger.error('FusionAuth refused the confirmation key: it needs GET on /api/user', { status: found.status });
      this.deps.metrics('FusionAuthLookupsRefused', {});
    }
    if (over) {
      // Only FusionAuth's own answer that the user is still there rolls a request back.
      const still = `FusionAuth still had the ${subject.scope === 'user' ? 'user' : 'registration'} when the window ended`;
      if (found.outcome === 'present') return this.#end(subject, cycle, 'rolled-back', still, signal);
      return this.#end(subject, cycle, 'unconfirmed', `FusionAuth could not be asked when the window ended: ${seen}`, signal);
    }
    await this.deps.ledger.update(subject.userId, subject.scope, (current) => noteCheck(current, cycle, seen, this.#now()), signal);
    await this.#lookAgain(job, nextLookIn(this.deps.settings.confirmDelaySeconds, job.attempt + 1, (windowEnd - now) / 1000), signal);
  }

  async #lookAgain(job: ConfirmJob, delaySeconds: number, signal: AbortSignal | undefined): Promise<void> {
    await this.#send(followUp(job, { attempt: job.attempt + 1 }), delaySeconds, signal);
  }

  async #end(subject: ErasureSubject, cycle: number, state: 'rolled-back' | 'unconfirmed', reason: string, signal: AbortSignal | undefined): Promise<void> {
    const { outcome } = await this.deps.ledger.update(
      subject.userId,
      subject.scope,
      (current) => end(current, cycle, state, reason, this.#now(), this.deps.settings.retentionSeconds),
      signal,
    );
    if (outcome !== 'ended') return;
    this.deps.metrics(state === 'rolled-back' ? 'ErasuresRolledBack' : 'ErasuresUnconfirmed', { scope: subject.scope });
    this.deps.logger[state === 'rolled-back' ? 'info' : 'warn']('erasure ended unerased', { scope: subject.scope, state, reason });
  }

  /**
   * Holds the erasure's lease while deleting until the deadline. Unfinished, it lets go and the
   * queue carries on: the job queued before an inline run, or a continuation of this job.
   */
  async #erase(subject: ErasureSubject, cycle: number, limits: RunLimits, leaseMs: number, job: EraseJob | undefined): Promise<ErasureResult> {
    const { ledger } = this.deps;
    const { signal } = limits;
    const lease = randomUUID();
    const claimed = await ledger.update(subject.userId, subject.scope, (current) => claim(current, cycle, lease, leaseMs, this.#now()), signal);
    if (claimed.outcome === 'busy') {
      // Another run holds it: this job comes back when that lease ends, in case its holder dies.
      if (job) await this.#send(followUp(job), (claimed.leaseUntil - this.#now()) / 1000 + 1, signal);
      return { outcome: 'under-way', todosDeleted: 0 };
    }
    if (claimed.outcome !== 'claimed') return { outcome: 'under-way', todosDeleted: 0 };
    const record = claimed.record;

    let report;
    try {
      report = await this.deps.eraser.erase(await this.#plan(subject), { ...eraseLimits(limits), fromTarget: record.nextTarget ?? 0 });
    } catch (error) {
      // What was deleted before the error is counted; the next run starts at the target it stopped in.
      const progress =
        error instanceof EraseInterruptedError
          ? { deletedByTarget: error.progress.deletedByTarget, nextTarget: error.progress.nextTarget }
          : { deletedByTarget: {}, nextTarget: record.nextTarget ?? 0 };
      await ledger.update(subject.userId, subject.scope, (current) => release(current, lease, progress, this.#now()), signal);
      // A job is retried by SQS; without a queue the delivery fails, and its redelivery resumes.
      if (job || !this.deps.queue) throw error;
      // Inline, the worker carries on at once: the delivery itself succeeded.
      this.deps.logger.warn('inline erasure failed; the worker carries on', { scope: subject.scope, error: describe(error) });
      await this.#continue(subject, cycle, undefined, signal);
      return { outcome: 'continued', todosDeleted: 0 };
    }
    const progress = { deletedByTarget: report.deletedByTarget, nextTarget: report.nextTarget };
    this.deps.metrics('TodosErased', { scope: subject.scope }, report.deleted);
    if (report.unanswered) {
      // The proof is the empty pass that ends the erasure; the count misses what these did.
      this.deps.logger.warn('deletions aborted on the wire before DynamoDB answered, uncounted', { scope: subject.scope, unanswered: report.unanswered });
    }
    if (report.finished) {
      const done = await ledger.update(
        subject.userId,
        subject.scope,
        (current) => finish(current, lease, progress, this.#now(), this.deps.settings.retentionSeconds),
        signal,
      );
      if (done.outcome === 'ok') await this.#erased(subject, done.record);
      return { outcome: 'erased', todosDeleted: report.deleted };
    }
    await ledger.update(subject.userId, subject.scope, (current) => release(current, lease, progress, this.#now()), signal);
    if (report.remaining > 0 && job) throw new TodosRemainError(report.remaining, report.deleted);
    if (!this.deps.queue) {
      if (report.remaining > 0) throw new TodosRemainError(report.remaining, report.deleted);
      throw new DeletionUnfinishedError(report.deleted);
    }
    await this.#continue(subject, cycle, job, signal);
    return { outcome: 'continued', todosDeleted: report.deleted };
  }

  /**
   * Hands what is left to the worker at once: the next job of the chain, or the first of one
   * when the delivery erased inline (the look that watches the cycle may be a window away).
   */
  async #continue(subject: ErasureSubject, cycle: number, job: EraseJob | undefined, signal: AbortSignal | undefined): Promise<void> {
    await this.#send(job ? followUp(job) : { kind: 'erase', subject, cycle, hop: 0, firstQueuedAt: this.#now() }, 0, signal);
  }

  async #erased(subject: ErasureSubject, record: ErasureRecord): Promise<void> {
    this.deps.metrics('ErasuresErased', { scope: subject.scope });
    if (record.confirmedBy === 'reconcile') this.deps.metrics('ReconcileUsersErased', {});
    this.deps.metrics('ErasureDuration', { scope: subject.scope }, ((record.erasedAt ?? this.#now()) - record.requestedAt) / 1000);
    this.deps.logger.info('erasure finished', { scope: subject.scope, cycle: record.cycle, todosDeleted: record.todosDeleted, confirmedBy: record.confirmedBy });
    const delay = await this.#secondPassDelay();
    if (delay === undefined || !this.deps.queue) return;
    const job: SecondPassJob = { kind: 'second-pass', subject, cycle: record.cycle, hop: 0, firstQueuedAt: this.#now() };
    // Best effort: the erasure itself is done and recorded.
    this.deps.queue.send(job, delay).catch((error: unknown) => this.deps.logger.warn('second pass not queued', { error: describe(error) }));
  }

  async #secondPass(job: SecondPassJob, limits: RunLimits): Promise<void> {
    const report = await this.deps.eraser.erase(await this.#plan(job.subject), eraseLimits(limits));
    if (report.deleted > 0) {
      await this.deps.ledger.update(
        job.subject.userId,
        job.subject.scope,
        (current) => countSecondPass(current, job.cycle, report.deletedByTarget, this.#now()),
        limits.signal,
      );
      this.deps.logger.warn('second pass found Todos written after the erasure', { scope: job.subject.scope, todosDeleted: report.deleted });
    }
    if (report.remaining > 0) throw new TodosRemainError(report.remaining, report.deleted);
    if (!report.finished) await this.#send(followUp(job), 0, limits.signal);
  }

  /** Counts the open requests by state, and the age of the oldest of each: what the alarms read. */
  async #sweep(): Promise<void> {
    const summary = await this.deps.ledger.openSummary();
    const now = this.#now();
    for (const [state, { count, oldestRequestedAt }] of Object.entries(summary)) {
      this.deps.metrics('OpenErasures', { state }, count);
      this.deps.metrics('OldestOpenErasureAge', { state }, oldestRequestedAt === undefined ? 0 : (now - oldestRequestedAt) / 1000);
    }
  }

  async #send(job: ChainedJob, delaySeconds: number, signal: AbortSignal | undefined): Promise<void> {
    if (!this.deps.queue) throw new Error('no queue to hand the job on to');
    await this.deps.queue.send(job, delaySeconds, signal);
  }

  async #deadLetter(job: ChainedJob, reason: string, signal: AbortSignal | undefined): Promise<void> {
    this.deps.logger.error('erasure job set aside', { kind: job.kind, scope: job.subject.scope, hop: job.hop, reason });
    this.deps.metrics('ErasureJobsDeadLettered', { kind: job.kind });
    await this.deps.queue!.deadLetter(job, reason, signal);
  }

  #confirmed(record: ErasureRecord, by: ConfirmedBy): void {
    this.deps.metrics('ErasuresConfirmed', { scope: record.scope, method: by });
  }

  async #plan(subject: ErasureSubject) {
    return planErasure(targetsFor(await this.deps.targets.resolved(), subject.scope), subject.values);
  }

  /** Index reads lag the table: by default a last pass follows every erasure that reads one. */
  async #secondPassDelay(): Promise<number | undefined> {
    const { secondPassSeconds } = this.deps.settings;
    if (secondPassSeconds !== 'when-indexed') return secondPassSeconds || undefined;
    return (await this.deps.targets.resolved()).some((target) => target.indexName) ? MAX_DELAY_SECONDS : undefined;
  }
}

/** The tenant FusionAuth's API is asked in (X-FusionAuth-TenantId), when the event names one. */
function tenantOf(event: Readonly<Record<string, unknown>>): string | undefined {
  const tenantId = event.tenantId ?? (event.user as Record<string, unknown> | undefined)?.tenantId;
  return tenantId === undefined || tenantId === null || tenantId === '' ? undefined : requireId(tenantId, 'event.tenantId');
}

/** What the eraser gets of a run's limits: its deletions stop at `eraseSignal`, or at `signal` without one. */
const eraseLimits = ({ deadline, eraseSignal, signal }: RunLimits) => ({ deadline, signal: eraseSignal ?? signal });

const describe = (error: unknown) => (error instanceof Error ? { name: error.name, message: error.message } : { message: String(error) });
