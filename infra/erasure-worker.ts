import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { SqsSendMessage } from 'aws-cdk-lib/aws-scheduler-targets';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { SweepJob } from '../lambda/erasure/jobs.ts';
import type { DeletionTargets } from './deletion-targets.ts';
import { grantLedgerRecords, grantOpenErasureQuery } from './erasure-ledger.ts';
import { createLambdaFunction, grantSecretRead } from './lambda-function.ts';
import { schedulerRole } from './scheduler-role.ts';

export interface WebhookDeletionProps {
  /**
   * How long a confirmed erasure runs inside the delivery that confirmed it, before it answers
   * and the worker carries on (DELETE_BUDGET_MS). FusionAuth's read timeout has to cover it,
   * plus a cold start.
   * @default Duration.seconds(1)
   */
  readonly inlineBudget?: Duration;
  /**
   * How long one worker invocation runs; it keeps 5 seconds of it back to hand the rest of its
   * jobs on. The queue's visibility timeout is six times this.
   * @default Duration.minutes(5)
   */
  readonly workerTimeout?: Duration;
  /**
   * The worker's memory in MB.
   * @default 512
   */
  readonly workerMemorySize?: number;
  /**
   * How many times a job is received (and failed) before it moves to the dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * How many worker invocations run at once (the SQS event source's maximum concurrency, 2 to
   * 1000), each with up to 10 jobs side by side. Every erasure writes to the tables the Todo
   * application uses too; each keeps up to four batch deletes in flight and halves that when
   * DynamoDB throttles.
   * @default 2
   */
  readonly maxConcurrency?: number;
}

/** The worker's and the queues' settings (the inline budget is the webhook's), and what the worker works on. */
export interface ErasureWorkerProps extends Omit<WebhookDeletionProps, 'inlineBudget'> {
  /** Where the Todos are: the worker may make the calls an erasure makes on them. */
  readonly targets: DeletionTargets;
  /** Where each erasure is recorded; the worker reads and writes records and queries the open ones. */
  readonly ledgerTable: ITable;
  /**
   * The key the worker confirms deletions with through FusionAuth's API, when it has one.
   * @default - none: the worker is granted no key
   */
  readonly fusionAuthApiKeySecret?: ISecret;
  /**
   * The variables the webhook has too (targets, ledger, erasure settings, FusionAuth's API,
   * Powertools), so both run the same erasures and publish the same metrics.
   */
  readonly environment: Readonly<Record<string, string>>;
  /** How long an index is given to settle: a pass through an index must fit in one invocation. */
  readonly indexSettle: Duration;
  readonly logRetention: RetentionDays;
}

/** The worker keeps this back from its timeout to hand the rest of its jobs on (lambda/erasure/job-runner.ts). */
const WORKER_MARGIN = Duration.seconds(5);
const MIN_WORKER_TIMEOUT = Duration.seconds(15);
/** Lambda's limit. */
const MAX_WORKER_TIMEOUT = Duration.minutes(15);
/**
 * AWS's guidance for an SQS event source: a message stays invisible six function timeouts, so the
 * retries of a throttled or failed invocation happen before SQS hands the message out again.
 */
const VISIBILITY_TIMEOUTS_PER_WORKER_TIMEOUT = 6;
/** SQS's default: it must outlast every receive of a failing job, or the job expires unseen. */
const QUEUE_RETENTION = Duration.days(4);
/** SQS's longest: time to notice the alarm, fix the cause and redrive. */
const DEAD_LETTER_RETENTION = Duration.days(14);
/** How often the open requests are counted into the metrics the alarms read. */
const SWEEP_RATE = Duration.minutes(5);
const SWEEP_JOB: SweepJob = { kind: 'sweep' };

/**
 * The erasure worker and its queues: a job queue the webhook and the worker send to (first looks
 * at a requested erasure, erasures to carry on, second passes), a worker (lambda/worker-lambda.ts)
 * that runs them and hands what is left back to the same queue, a dead-letter queue for a job that
 * failed `maxReceiveCount` times or hopped too often, and a schedule that has the worker count the
 * open requests every 5 minutes. A job names an erasure and its cycle, so running one twice
 * erases nothing twice.
 */
export class ErasureWorker extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly worker: LambdaFunction;
  /** Sends `{"kind":"sweep"}` to the queue every 5 minutes. */
  readonly sweepSchedule: Schedule;

  constructor(scope: Construct, id: string, props: ErasureWorkerProps) {
    super(scope, id);
    const workerTimeout = props.workerTimeout ?? Duration.minutes(5);
    const maxReceiveCount = checkWholeNumber('deletion.maxReceiveCount', props.maxReceiveCount ?? 5, 1, 1_000);
    const maxConcurrency = checkWholeNumber('deletion.maxConcurrency', props.maxConcurrency ?? 2, 2, 1_000);
    checkWorkerTimeout(workerTimeout, props.indexSettle);
    const visibilityTimeout = Duration.seconds(workerTimeout.toSeconds() * VISIBILITY_TIMEOUTS_PER_WORKER_TIMEOUT);
    checkRetention(maxReceiveCount, visibilityTimeout);

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      // A message keeps its first enqueue time, so this must outlast the source queue's retention.
      retentionPeriod: DEAD_LETTER_RETENTION,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.queue = new Queue(this, 'Queue', {
      visibilityTimeout,
      retentionPeriod: QUEUE_RETENTION,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
      // SQS-managed keys: encrypted at rest, and sending needs no KMS permissions.
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.worker = this.createWorker(props, workerTimeout, maxConcurrency);
    this.sweepSchedule = this.createSweepSchedule();
  }

  /** SendMessage on the job queue, which is all queueing a job takes (the queue's key is SQS's own). */
  grantSend(grantee: IGrantable): void {
    this.queue.grant(grantee, 'sqs:SendMessage');
  }

  private createWorker(props: ErasureWorkerProps, timeout: Duration, maxConcurrency: number): LambdaFunction {
    const worker = createLambdaFunction(this, 'Function', {
      code: 'worker',
      description: 'Confirms, carries on and checks the Todo erasures the Passport webhook recorded',
      roleDescription: 'passport-webhook erasure worker: its own log group, the Todo tables, the erasure ledger, its queues',
      memorySize: props.workerMemorySize ?? 512,
      timeout,
      logRetention: props.logRetention,
      environment: {
        ...props.environment,
        DELETION_QUEUE_URL: this.queue.queueUrl,
        DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.queueUrl,
      },
    });
    props.targets.grantErasure(worker);
    grantLedgerRecords(worker, props.ledgerTable);
    grantOpenErasureQuery(worker, props.ledgerTable);
    // The worker alone asks FusionAuth's API: the webhook never reads this key.
    if (props.fusionAuthApiKeySecret) grantSecretRead(worker, props.fusionAuthApiKeySecret);
    // What is left of a job goes back to the same queue; a chain that hopped too often goes
    // straight to the dead-letter queue, with the reason.
    this.grantSend(worker);
    this.deadLetterQueue.grant(worker, 'sqs:SendMessage');
    // Receives, deletes and changes the visibility of messages, on this queue only.
    worker.addEventSource(
      new SqsEventSource(this.queue, {
        // The records of a batch run side by side: each is another user, so another partition.
        batchSize: 10,
        // A failed job goes back to the queue (and in the end to the dead-letter queue) on its own.
        reportBatchItemFailures: true,
        // Not reserved concurrency: SQS would keep polling and the throttled messages would use up
        // their receives and land in the dead-letter queue unrun.
        maxConcurrency,
      }),
    );
    return worker;
  }

  /**
   * EventBridge Scheduler sends the sweep job through the queue, so it runs as any other job does.
   * Its role may send to this queue alone, and only Scheduler in this account may assume it.
   */
  private createSweepSchedule(): Schedule {
    const role = schedulerRole(this, 'SweepScheduleRole', 'passport-webhook sweep schedule: sends the sweep job to the erasure job queue');
    return new Schedule(this, 'SweepSchedule', {
      description: 'Has the erasure worker count the open erasure requests into metrics, for the alarms on their age',
      schedule: ScheduleExpression.rate(SWEEP_RATE),
      target: new SqsSendMessage(this.queue, {
        role,
        input: ScheduleTargetInput.fromObject(SWEEP_JOB),
        // The next sweep replaces one that could not be sent in time.
        maxEventAge: SWEEP_RATE,
      }),
    });
  }
}

/**
 * Lambda takes whole seconds up to 15 minutes; below 15 seconds the 5 kept back would be most of
 * it. A pass through an index waits for it to settle, within one invocation.
 */
function checkWorkerTimeout(timeout: Duration, indexSettle: Duration): void {
  const seconds = timeout.toSeconds({ integral: false });
  if (!Number.isInteger(seconds) || seconds < MIN_WORKER_TIMEOUT.toSeconds() || seconds > MAX_WORKER_TIMEOUT.toSeconds()) {
    throw new Error(
      `PassportWebhook deletion.workerTimeout must be whole seconds from ${MIN_WORKER_TIMEOUT.toHumanString()} to ` +
        `${MAX_WORKER_TIMEOUT.toHumanString()}, got ${timeout.toHumanString()}: the worker keeps ` +
        `${WORKER_MARGIN.toHumanString()} back to hand on what is left of its jobs.`,
    );
  }
  if (indexSettle.toMilliseconds() >= timeout.toMilliseconds() - WORKER_MARGIN.toMilliseconds()) {
    throw new Error(
      `PassportWebhook erasure.indexSettle (${indexSettle.toHumanString()}) must be shorter than deletion.workerTimeout ` +
        `(${timeout.toHumanString()}) less its ${WORKER_MARGIN.toHumanString()} margin: an erasure through an index ` +
        'would never finish.',
    );
  }
}

function checkRetention(maxReceiveCount: number, visibilityTimeout: Duration): void {
  if (maxReceiveCount * visibilityTimeout.toSeconds() >= QUEUE_RETENTION.toSeconds()) {
    throw new Error(
      `PassportWebhook deletion.maxReceiveCount (${maxReceiveCount}) receives, ${visibilityTimeout.toHumanString()} apart, ` +
        `outlast the queue's retention of ${QUEUE_RETENTION.toHumanString()}: a failing job would expire instead of ` +
        'reaching the dead-letter queue. Lower it, or the worker timeout.',
    );
  }
}

function checkWholeNumber(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`PassportWebhook ${name} must be a whole number from ${min} to ${max}, got ${value}.`);
  }
  return value;
}
