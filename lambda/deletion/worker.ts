import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { InvalidEventError, TodosRemainError } from '../errors.ts';
import { requireId } from '../events/fields.ts';
import type { TodoStore } from '../todos/store.ts';
import type { DeletionJob, DeletionQueue } from './queue.ts';

export interface WorkerDependencies {
  readonly todos: TodoStore;
  readonly queue: DeletionQueue;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export type DeletionWorker = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

/** Kept back from the Lambda's timeout to requeue and report. */
const MARGIN_MS = 5_000;
/** Without a Lambda context (tests, local runs), how long one job runs before it is handed on. */
const DEFAULT_SLICE_MS = 60_000;

/**
 * Continues deletions the webhook queued. Each job deletes until the Lambda's time is nearly up,
 * then sends itself to the queue again; a job that fails is reported back to SQS, which retries
 * it and after a few receives moves it to the dead-letter queue. Jobs are idempotent: deleting
 * what is gone does nothing.
 */
export function createDeletionWorker(deps: WorkerDependencies): DeletionWorker {
  return async (event, context) => {
    if (context) deps.logger.addContext(context);
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records ?? []) {
      const deadline = Date.now() + (context ? context.getRemainingTimeInMillis() - MARGIN_MS : DEFAULT_SLICE_MS);
      const succeeded = await runJob(record, deadline, deps);
      if (!succeeded) batchItemFailures.push({ itemIdentifier: record.messageId });
    }
    return { batchItemFailures };
  };
}

async function runJob(record: SQSRecord, deadline: number, { todos, queue, logger, metrics }: WorkerDependencies): Promise<boolean> {
  const started = performance.now();
  let job: DeletionJob | undefined;
  try {
    job = readJob(record.body);
    const report = await todos.deleteAllOf(job.userId, { deadline });
    if (report.remaining > 0) throw new TodosRemainError(report.remaining, report.deleted);
    if (!report.finished) await queue.enqueue({ ...job, continuation: job.continuation + 1 });
    const outcome = report.finished ? 'finished' : 'continued';
    logger.info('deletion job', { ...describeJob(job, record), outcome, todosDeleted: report.deleted, durationMs: elapsed(started) });
    publish(metrics, outcome, 'TodosDeleted', report.deleted);
    return true;
  } catch (error) {
    logger.error('deletion job', {
      ...describeJob(job, record),
      outcome: 'failed',
      durationMs: elapsed(started),
      error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
    });
    publish(metrics, 'failed', 'DeletionJobFailures', 1);
    return false;
  }
}

/** One EMF line per job, by outcome. */
function publish(metrics: Metrics, outcome: string, name: string, count: number): void {
  metrics.addDimensions({ outcome });
  metrics.addMetric(name, MetricUnit.Count, count);
  metrics.publishStoredMetrics();
}

/** A message is ours only if it names a valid user id; anything else fails toward the dead-letter queue. */
function readJob(body: string): DeletionJob {
  let parsed: Partial<DeletionJob>;
  try {
    parsed = JSON.parse(body) as Partial<DeletionJob>;
  } catch {
    throw new InvalidEventError('[invalidJSON]', 'The deletion job is not JSON.');
  }
  return {
    userId: requireId(parsed?.userId, 'userId'),
    eventType: typeof parsed.eventType === 'string' ? parsed.eventType : 'unknown',
    eventId: typeof parsed.eventId === 'string' ? parsed.eventId : undefined,
    continuation: Number.isInteger(parsed.continuation) ? (parsed.continuation as number) : 0,
  };
}

const describeJob = (job: DeletionJob | undefined, record: SQSRecord) => ({
  messageId: record.messageId,
  receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 1),
  eventType: job?.eventType,
  eventId: job?.eventId,
  continuation: job?.continuation,
});

const elapsed = (started: number) => Math.round((performance.now() - started) * 100) / 100;
