import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ErasureMetrics } from '../erasure/erasure-metrics.ts';
import type { ErasureService, RunLimits } from '../erasure/erasure-service.ts';
import type { ErasureJobQueue } from '../erasure/jobs.ts';
import type { ErasureLedger } from '../erasure/ledger.ts';
import { fieldsFor, targetsFor } from '../targets/erasure-plan.ts';
import type { TargetCatalog } from '../targets/target-catalog.ts';
import { idKey, isFusionAuthId } from './fusionauth-ids.ts';
import { type KeyOwner, type TargetKeyReader, targetKeyReader } from './key-inverse.ts';
import { decodeKey, encodeKey, scanPage } from './key-scan.ts';
import { judgeMissing, percent } from './missing-ratio.ts';
import type { ReconcileConfig } from './reconcile-config.ts';
import type { ReconcileFinishJob, ReconcileJob, ReconcilePageJob } from './reconcile-jobs.ts';
import type { Candidate, PageRecord, ReconcileRunStore, RunRecord } from './reconcile-run-store.ts';
import { FusionAuthRefusedError, type UserChecker } from './user-checker.ts';

export interface ScheduledReconcileDependencies {
  readonly runs: ReconcileRunStore;
  readonly client: DynamoDBClient;
  readonly targets: TargetCatalog;
  readonly ledger: ErasureLedger;
  /** A checker at this many requests a second: each segment's share of the run's rate. */
  readonly checkerFor: (requestsPerSecond: number) => UserChecker;
  readonly erasures: ErasureService;
  readonly queue: ErasureJobQueue;
  readonly config: ReconcileConfig;
  readonly metrics: ErasureMetrics;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** A run that has not finished in this long is taken for dead: the next start begins a new one. */
export const MAX_RUN_AGE_MS = 12 * 3600 * 1000;
/** A finish job hands its users on before its deadline, keeping this much. */
const FINISH_MARGIN_MS = 2_000;

/**
 * The reconcile the stack schedules, across as many worker invocations as it takes: the start
 * takes the run's lock and queues the first page of every Scan segment of every target; each page
 * job reads one page, asks FusionAuth about its owners, records the missing ones and its counts
 * (once, whatever SQS redelivers), and queues the next page; the last page of the last segment
 * queues the finish, which decides on the whole run's missing share and, within it, confirms each
 * missing user's erasure by `reconcile` and leaves it to the worker's usual erase jobs.
 */
export class ScheduledReconcile {
  readonly #now: () => number;

  constructor(private readonly deps: ScheduledReconcileDependencies) {
    this.#now = deps.now ?? Date.now;
  }

  async runJob(job: ReconcileJob, limits: RunLimits): Promise<void> {
    if (job.kind === 'reconcile-start') return this.#start();
    if (job.kind === 'reconcile-page') return this.#page(job, limits);
    return this.#finish(job, limits);
  }

  async #readers(): Promise<{ readers: TargetKeyReader[]; unreadable: string[] }> {
    const readers: TargetKeyReader[] = [];
    const unreadable: string[] = [];
    for (const target of targetsFor(await this.deps.targets.resolved(), 'user')) {
      const reading = targetKeyReader(target);
      if (reading.readable) readers.push(reading.reader);
      else unreadable.push(`${target.name}: ${reading.reason}`);
    }
    return { readers, unreadable };
  }

  async #start(): Promise<void> {
    const { runs, config, logger } = this.deps;
    const now = this.#now();
    const runId = randomUUID();
    const lock = await runs.lock(runId, now, MAX_RUN_AGE_MS);
    if (!lock.mine) {
      const running = await runs.getRun(lock.heldBy);
      // A start that stopped before queueing every first page: its redelivery (or the next start) queues them.
      if (running?.state === 'scanning' && !running.pagesSent) return this.#sendFirstPages(running);
      logger.info('a reconcile is already running; this start is skipped', { runId: lock.heldBy });
      return;
    }
    const { readers, unreadable } = await this.#readers();
    const run: RunRecord = { runId, state: 'scanning', startedAt: now, targets: readers.map(({ target }) => target.name), segments: config.segments, maxMissing: config.maxMissing, pagesSent: false };
    if (unreadable.length > 0) {
      // The worker erases every target of a user: one whose keys it cannot render for a user found missing elsewhere would fail every erase job.
      const reason = `the worker cannot erase a user it finds missing, since some targets' keys cannot be rendered from a user id and tenant: ${unreadable.join('; ')}`;
      await runs.createRun({ ...run, state: 'refused', reason, endedAt: now });
      return this.#refused(run, reason);
    }
    await runs.createRun(run);
    logger.info('reconcile started', { runId, targets: run.targets, segments: run.segments, maxMissing: run.maxMissing });
    if (readers.length === 0) {
      await runs.transition(runId, 'scanning', { state: 'done', endedAt: now, checked: 0, missing: 0 });
      await runs.unlock(runId);
      return;
    }
    await this.#sendFirstPages(run);
  }

  async #sendFirstPages(run: RunRecord): Promise<void> {
    for (let target = 0; target < run.targets.length; target += 1) {
      for (let segment = 0; segment < run.segments; segment += 1) {
        const job: ReconcilePageJob = { kind: 'reconcile-page', runId: run.runId, target, segment, page: 0 };
        await this.deps.queue.send(job);
      }
    }
    await this.deps.runs.transition(run.runId, 'scanning', { pagesSent: true });
  }

  async #page(job: ReconcilePageJob, limits: RunLimits): Promise<void> {
    const { runs, queue } = this.deps;
    const run = await runs.getRun(job.runId);
    if (!run || run.state !== 'scanning') return;
    const key = `${job.target}#${job.segment}#${job.page}`;
    let page = await runs.getPage(run.runId, key);
    if (!page) {
      try {
        page = await this.#readPage(run, job, key, limits);
      } catch (error) {
        if (!(error instanceof FusionAuthRefusedError)) throw error;
        // No retry mends a refused key: the run stops here, and the alarm says why.
        this.deps.metrics('FusionAuthLookupsRefused', {});
        const reason = error.message;
        if (await runs.transition(run.runId, 'scanning', { state: 'refused', reason, endedAt: this.#now() })) await this.#refused(run, reason);
        return;
      }
    }
    if (!page.last && !page.nextSent) {
      const next: ReconcilePageJob = { ...job, page: job.page + 1, startKey: page.next };
      await queue.send(next);
      await runs.nextSent(run.runId, key);
    }
    if (page.last) {
      const done = await runs.segmentDone(run.runId, `${job.target}/${job.segment}`);
      if (done >= run.targets.length * run.segments) {
        const finish: ReconcileFinishJob = { kind: 'reconcile-finish', runId: run.runId };
        await queue.send(finish);
      }
    }
  }

  /** One page: its owners asked about, its missing users and counts recorded (the first copy of the job wins). */
  async #readPage(run: RunRecord, job: ReconcilePageJob, key: string, limits: RunLimits): Promise<PageRecord> {
    const { runs, client, config, metrics } = this.deps;
    const { readers } = await this.#readers();
    const reader = readers.find(({ target }) => target.name === run.targets[job.target]);
    if (!reader) throw new Error(`target ${run.targets[job.target]} of run ${run.runId} is no longer a readable deletion target`);
    const scanned = await scanPage(client, reader, { segment: job.segment, totalSegments: run.segments, startKey: decodeKey(job.startKey), limit: config.pageSize, signal: limits.signal });
    const owners = new Map<string, { owner: KeyOwner; todos: number }>();
    let notFusionAuthIds = 0;
    for (const item of scanned.items) {
      const owner = reader.read(item);
      if (!owner) continue;
      if (!isFusionAuthId(owner.userId)) {
        notFusionAuthIds += 1;
        continue;
      }
      const seen = owners.get(idKey(owner.userId));
      if (seen) seen.todos += 1;
      else owners.set(idKey(owner.userId), { owner, todos: 1 });
    }
    const byTenant = new Map<string, string[]>();
    for (const { owner } of owners.values()) {
      const tenant = owner.tenantId ?? '';
      byTenant.set(tenant, [...(byTenant.get(tenant) ?? []), owner.userId]);
    }
    // Each segment's share of the run's rate: at most one page of each runs at a time.
    const checker = this.deps.checkerFor(config.requestsPerSecond / Math.max(1, run.targets.length * run.segments));
    const candidates: Candidate[] = [];
    for (const [tenant, ids] of byTenant) {
      const { absent } = await checker.check(ids, tenant || undefined, limits.signal);
      for (const id of absent) {
        const { owner, todos } = owners.get(idKey(id))!;
        candidates.push({ userId: owner.userId, tenantId: owner.tenantId, values: owner.values, target: reader.target.name, todos });
      }
    }
    const now = this.#now();
    await runs.putCandidates(run.runId, key, candidates, now);
    const page: PageRecord = {
      key,
      items: scanned.items.length,
      checked: owners.size,
      missing: candidates.length,
      notFusionAuthIds,
      last: scanned.next === undefined,
      ...(scanned.next && { next: encodeKey(scanned.next) }),
      nextSent: false,
    };
    if (await runs.putPage(run.runId, page, now)) {
      metrics('ReconcileUsersChecked', {}, page.checked);
      metrics('ReconcileUsersMissing', {}, page.missing);
      return page;
    }
    return (await runs.getPage(run.runId, key))!;
  }

  async #finish(job: ReconcileFinishJob, limits: RunLimits): Promise<void> {
    const { runs, logger } = this.deps;
    let run = await runs.getRun(job.runId);
    if (!run) return;
    if (run.state === 'scanning') {
      const totals = await runs.totals(run.runId);
      const verdict = judgeMissing(totals, run.maxMissing, 'set the construct\'s reconcile.maxMissing to 1 (RECONCILE_MAX_MISSING=100%) for one run, or run npm run reconcile -- --apply --max-missing 100%');
      if (verdict.outcome === 'refused') {
        if (await runs.transition(run.runId, 'scanning', { state: 'refused', checked: totals.checked, missing: totals.missing, reason: verdict.reason, endedAt: this.#now() })) {
          await this.#refused(run, verdict.reason);
        }
        return;
      }
      // Both last segments may queue a finish: one decides, the other stops here.
      if (!(await runs.transition(run.runId, 'scanning', { state: 'erasing', checked: totals.checked, missing: totals.missing }))) return;
      logger.info('reconcile scanned', { runId: run.runId, ...totals, missingShare: percent(verdict.ratio) });
      run = { ...run, state: 'erasing' };
    }
    if (run.state !== 'erasing') return;
    const fields = fieldsFor(await this.deps.targets.resolved(), 'user');
    let last = job.after;
    let handed = 0;
    for await (const user of runs.candidateUsers(run.runId, job.after)) {
      if (this.#now() >= limits.deadline - FINISH_MARGIN_MS) {
        const more: ReconcileFinishJob = { kind: 'reconcile-finish', runId: run.runId, ...(last && { after: last }) };
        await this.deps.queue.send(more);
        logger.info('reconcile hands on its erasures', { runId: run.runId, handed });
        return;
      }
      last = user.userId;
      const missingField = fields.find((field) => user.values[field] === undefined);
      if (missingField) {
        logger.warn('a missing user the worker cannot erase: a target needs a key field none of their items gave', { runId: run.runId, field: missingField });
        continue;
      }
      // Handed on by an earlier copy of this job: nothing to confirm again.
      const record = await this.deps.ledger.get(user.userId, 'user');
      if (record?.confirmedBy === 'reconcile' && (record.confirmedAt ?? 0) >= run.startedAt) continue;
      // Confirmed now, erased by the worker: with no time of its own here, the erasure goes to the
      // queue at once. Its values were read from keys the same templates render, so they plan.
      await this.deps.erasures.confirmAndErase({ userId: user.userId, scope: 'user', tenantId: user.tenantId, values: user.values }, 'reconcile', { deadline: this.#now() });
      handed += 1;
    }
    await runs.transition(run.runId, 'erasing', { state: 'done', endedAt: this.#now() });
    await runs.unlock(run.runId);
    logger.info('reconcile done', { runId: run.runId, checked: run.checked, missing: run.missing, handed });
  }

  async #refused(run: RunRecord, reason: string): Promise<void> {
    this.deps.metrics('ReconcileRunsRefused', {});
    this.deps.logger.error('reconcile refused: nothing was erased', { runId: run.runId, reason });
    await this.deps.runs.unlock(run.runId);
  }
}
