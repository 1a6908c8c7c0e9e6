import { setTimeout as wait } from 'node:timers/promises';
import type { Logger } from '@aws-lambda-powertools/logger';
import { DeletionUnfinishedError, TodosRemainError } from '../errors.ts';
import type { ErasureMetrics } from '../erasure/erasure-metrics.ts';
import { ErasureService, type ErasureSettings } from '../erasure/erasure-service.ts';
import type { ErasureSubject } from '../erasure/jobs.ts';
import { end, type ErasureLedger, type ErasureRecord, request } from '../erasure/ledger.ts';
import { fieldsFor, targetsFor } from '../targets/erasure-plan.ts';
import type { FieldValues } from '../targets/key-template.ts';
import type { ResolvedTarget } from '../targets/table-schema.ts';
import type { ErasureScope } from '../targets/target-spec.ts';
import { EraseInterruptedError, type TodoEraser } from '../targets/todo-eraser.ts';

export interface ReconcileEraserDependencies {
  readonly ledger: ErasureLedger;
  readonly eraser: TodoEraser;
  /** Every target; each subject is erased from those its known values can render keys for. */
  readonly targets: readonly ResolvedTarget[];
  readonly settings: Omit<ErasureSettings, 'confirmThroughApi'>;
  /** How long one call holds a user's lease: a run killed mid-erasure leaves the user held this long. */
  readonly leaseMs: number;
  readonly logger: Logger;
  readonly metrics?: ErasureMetrics;
}

export interface ReconcileErasure {
  /** erased: by this run; already-erased: nothing was left (another run, or the worker, finished it). */
  readonly outcome: 'erased' | 'already-erased';
  readonly todosDeleted: number;
}

/** Failures of one erasure retried before the run gives up on it (it resumes on the next run). */
const MAX_FAILURES = 5;
/** How long a run waits at most for another holder's lease before it leaves the user for the next run. */
const MAX_LEASE_WAIT_MS = 15 * 60_000;

/** The targets an erasure of `scope` can render every key of with `values`. */
export function plannableTargets(targets: readonly ResolvedTarget[], scope: ErasureScope, values: FieldValues): ResolvedTarget[] {
  return targetsFor(targets, scope).filter((target) =>
    [target.partitionKey, ...target.sortKeyPrefixes].every((template) => template.fields.every((field) => values[field] !== undefined)),
  );
}

/**
 * Erases on this machine, through the lifecycle the worker runs: the erasure is recorded as
 * confirmed by `reconcile` (a cycle of its own when none is open) and held by a lease while it
 * deletes, so two runs, or a run and the worker, never erase the same user at once, and a run
 * that stopped is taken over once its lease ends. Without a queue, each call erases until its
 * lease's deadline, and the next call claims the erasure again where it stopped.
 */
export class ReconcileEraser {
  readonly #services = new Map<string, ErasureService>();

  constructor(private readonly deps: ReconcileEraserDependencies) {}

  async erase(subject: ErasureSubject, signal?: AbortSignal): Promise<ReconcileErasure> {
    const service = this.#serviceFor(subject);
    let deleted = 0;
    let failures = 0;
    const waitedUntil = Date.now() + MAX_LEASE_WAIT_MS;
    for (;;) {
      signal?.throwIfAborted();
      await this.#reopenEnded(subject);
      try {
        const result = await service.confirmAndErase(subject, 'reconcile', { deadline: Date.now() + this.deps.leaseMs, signal });
        deleted += result.todosDeleted;
        if (result.outcome === 'erased') return { outcome: deleted > 0 || result.todosDeleted > 0 ? 'erased' : 'already-erased', todosDeleted: deleted };
      } catch (error) {
        if (error instanceof DeletionUnfinishedError) {
          // The lease's time ran out: counted, and claimed again at once.
          deleted += error.deleted;
          continue;
        }
        if (!(error instanceof EraseInterruptedError || error instanceof TodosRemainError) || (failures += 1) > MAX_FAILURES) throw error;
        if (error instanceof TodosRemainError) deleted += error.deleted;
        await wait(250 * 2 ** failures, undefined, { signal });
        continue;
      }
      // Someone else holds it (another run, or the worker): wait for their lease, then look again.
      const record = await this.deps.ledger.get(subject.userId, subject.scope);
      if (record?.state === 'erased') return { outcome: deleted > 0 ? 'erased' : 'already-erased', todosDeleted: deleted };
      const leaseUntil = record?.state === 'erasing' ? (record.leaseUntil ?? 0) : 0;
      if (leaseUntil > waitedUntil) throw new Error(`user ${subject.userId} is held by another erasure until ${new Date(leaseUntil).toISOString()}`);
      await wait(Math.max(50, leaseUntil - Date.now() + 50), undefined, { signal });
    }
  }

  /** FusionAuth still has the user of an unconfirmed request: it ends rolled back, nothing erased. */
  async rollBack(record: ErasureRecord, reason: string): Promise<boolean> {
    const { outcome } = await this.deps.ledger.update(record.userId, record.scope, (current) =>
      end(current, record.cycle, 'rolled-back', reason, Date.now(), this.deps.settings.retentionSeconds),
    );
    if (outcome === 'ended') this.deps.metrics?.('ErasuresRolledBack', { scope: record.scope });
    return outcome === 'ended';
  }

  /**
   * A rolled-back cycle is FusionAuth's word that the user was there then: the deletion found now
   * is a new one, so it gets a cycle of its own (confirming would reopen the old one). An erased
   * cycle is renewed by the confirmation itself.
   */
  async #reopenEnded(subject: ErasureSubject): Promise<void> {
    const now = Date.now();
    await this.deps.ledger.update(subject.userId, subject.scope, (current) => {
      if (current?.state !== 'rolled-back') return { result: undefined };
      return request(current, subject, { id: undefined, type: 'reconcile', digest: '', at: now }, now);
    });
  }

  #serviceFor(subject: ErasureSubject): ErasureService {
    const targets = plannableTargets(this.deps.targets, subject.scope, subject.values);
    const key = `${subject.scope}:${targets.map(({ name }) => name).join('\n')}`;
    let service = this.#services.get(key);
    if (!service) {
      service = new ErasureService({
        ledger: this.deps.ledger,
        eraser: this.deps.eraser,
        targets: { fieldsFor: (scope) => fieldsFor(targets, scope), resolved: async () => targets },
        queue: undefined,
        users: undefined,
        settings: { ...this.deps.settings, confirmThroughApi: false },
        metrics: this.deps.metrics ?? (() => {}),
        logger: this.deps.logger,
      });
      this.#services.set(key, service);
    }
    return service;
  }
}
