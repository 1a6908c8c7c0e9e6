import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { ErasureService, RunLimits } from './erasure-service.ts';
import { isReconcileJob, type ReconcileJob } from '../reconcile/reconcile-jobs.ts';
import { type ErasureJob, readJob } from './jobs.ts';

/** What runs a scheduled reconcile's jobs (lambda/reconcile/scheduled-reconcile.ts). */
export interface ReconcileJobHandler {
  runJob(job: ReconcileJob, limits: RunLimits): Promise<void>;
}

export interface WorkerDependencies {
  readonly erasures: ErasureService;
  /** Set when the stack schedules reconciles (RECONCILE_TABLE_NAME). */
  readonly reconcile?: ReconcileJobHandler;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export type JobRunner = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

/**
 * Kept back from the Lambda's timeout to hand the rest on and report: deletions under way at the
 * deadline are aborted 2.5 s after it (a write aborted may have been done, uncounted), and
 * everything else 1.5 s later, a second before the timeout.
 */
const MARGIN_MS = 5_000;
const ERASE_ABORT_MS = 2_500;
const ABORT_MS = 4_000;
/** Without a Lambda context (tests, local runs), how long one invocation's jobs run before they hand on. */
const DEFAULT_SLICE_MS = 60_000;

/**
 * Runs the jobs SQS hands over, the records of a batch side by side (each is another user, so
 * another partition). A job that throws is reported back to SQS, which retries it and after a
 * few receives moves it to the dead-letter queue; every other outcome is the job's own.
 */
export function createJobRunner(deps: WorkerDependencies): JobRunner {
  return async (event, context) => {
    if (context) deps.logger.addContext(context);
    const remaining = context ? context.getRemainingTimeInMillis() - MARGIN_MS : DEFAULT_SLICE_MS;
    const limits: RunLimits = {
      deadline: Date.now() + remaining,
      eraseSignal: AbortSignal.timeout(Math.max(0, remaining + ERASE_ABORT_MS)),
      signal: AbortSignal.timeout(Math.max(0, remaining + ABORT_MS)),
    };
    // A processor per invocation: it keeps the batch's records and failures while it runs.
    const processor = new BatchProcessor(EventType.SQS);
    try {
      return await processPartialResponse(event, (record: SQSRecord) => runRecord(record, limits, deps), processor, {
        context,
        throwOnFullBatchFailure: false,
      });
    } finally {
      // A batch of looks that changed nothing records none: Powertools would warn of that each time.
      if (deps.metrics.hasStoredMetrics()) deps.metrics.publishStoredMetrics();
    }
  };
}

async function runRecord(record: SQSRecord, limits: RunLimits, { erasures, reconcile, logger }: WorkerDependencies): Promise<void> {
  const started = performance.now();
  let job: ErasureJob | undefined;
  try {
    job = readJob(record.body);
    if (!isReconcileJob(job)) await erasures.runJob(job, limits);
    else if (reconcile) await reconcile.runJob(job, limits);
    // No retry would change it: the job is logged and dropped.
    else logger.error('a reconcile job reached a worker without reconcile (RECONCILE_TABLE_NAME is not set)', { kind: job.kind });
    logger.info('erasure job', { ...describeJob(job, record), outcome: 'done', durationMs: elapsed(started) });
  } catch (error) {
    logger.error('erasure job', {
      ...describeJob(job, record),
      outcome: 'failed',
      durationMs: elapsed(started),
      error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
    });
    throw error;
  }
}

/** What a job's log line says: never the user id or the key values it carries. */
const describeJob = (job: ErasureJob | undefined, record: SQSRecord) => ({
  messageId: record.messageId,
  receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 1),
  kind: job?.kind,
  ...(job && 'subject' in job && { scope: job.subject.scope, cycle: job.cycle, hop: job.hop }),
  ...(job && 'runId' in job && { runId: job.runId, ...('segment' in job && { target: job.target, segment: job.segment, page: job.page }) }),
});

const elapsed = (started: number) => Math.round((performance.now() - started) * 100) / 100;
