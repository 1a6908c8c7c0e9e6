import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { createLambdaFunction, grantTodoDeletion } from './lambda-function.ts';

export interface WebhookDeletionProps {
  /**
   * How long a delivery deletes Todos itself before it queues the rest for the worker and answers
   * (DELETE_BUDGET_MS). Passport's read timeout has to cover it, plus a cold start.
   * @default Duration.seconds(1)
   */
  readonly inlineBudget?: Duration;
  /**
   * How long one worker invocation runs; it keeps 5 seconds of it back to queue the rest of the
   * job. The queue's visibility timeout is six times this.
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
   * How many jobs the worker runs at once (the SQS event source's maximum concurrency, 2 to 1000).
   * Every job writes to the one Todo table that the Todo application uses too; each already keeps
   * up to four batch deletes in flight and halves that when DynamoDB throttles.
   * @default 2
   */
  readonly maxConcurrency?: number;
}

/** The worker's and the queues' settings (the inline budget is the webhook's), and what the worker works on. */
export interface DeletionQueueProps extends Omit<WebhookDeletionProps, 'inlineBudget'> {
  readonly todoTable: ITable;
  readonly userIdAttribute: string;
  readonly sortKeyAttribute: string;
  /** The Powertools variables the webhook has too, so both write the same logs and metrics. */
  readonly observabilityEnvironment: Readonly<Record<string, string>>;
  readonly logRetention: RetentionDays;
}

/** The worker keeps this back from its timeout to queue the rest of a job (lambda/deletion/worker.ts). */
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

/**
 * Deletions a delivery could not finish in its budget: a queue the webhook sends them to, a
 * worker (lambda/worker.ts) that continues each until the user has no Todos left, handing what
 * remains back to the same queue when its time is nearly up, and a dead-letter queue for a job
 * that failed `maxReceiveCount` times. A job only names the user, so running one twice deletes
 * nothing twice.
 */
export class DeletionQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly worker: NodejsFunction;

  constructor(scope: Construct, id: string, props: DeletionQueueProps) {
    super(scope, id);
    const workerTimeout = props.workerTimeout ?? Duration.minutes(5);
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    const maxConcurrency = props.maxConcurrency ?? 2;
    checkWorkerTimeout(workerTimeout);
    checkWholeNumber('deletion.maxReceiveCount', maxReceiveCount, 1, 1_000);
    checkWholeNumber('deletion.maxConcurrency', maxConcurrency, 2, 1_000);
    const visibilityTimeout = Duration.seconds(workerTimeout.toSeconds() * VISIBILITY_TIMEOUTS_PER_WORKER_TIMEOUT);
    if (maxReceiveCount * visibilityTimeout.toSeconds() >= QUEUE_RETENTION.toSeconds()) {
      throw new Error(
        `PassportWebhook deletion.maxReceiveCount (${maxReceiveCount}) receives, ${visibilityTimeout.toHumanString()} apart, ` +
          `outlast the queue's retention of ${QUEUE_RETENTION.toHumanString()}: a failing job would expire instead of ` +
          'reaching the dead-letter queue. Lower it, or the worker timeout.',
      );
    }

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

    this.worker = createLambdaFunction(this, 'Worker', {
      entry: 'worker.ts',
      description: 'Continues the Todo deletions the Passport webhook queued, until each user has none left',
      roleDescription: 'passport-webhook deletion worker: its own log group, the Todo table, its queue',
      memorySize: props.workerMemorySize ?? 512,
      timeout: workerTimeout,
      logRetention: props.logRetention,
      environment: {
        TODO_TABLE_NAME: props.todoTable.tableName,
        TODO_USER_ID_ATTRIBUTE: props.userIdAttribute,
        TODO_SORT_KEY_ATTRIBUTE: props.sortKeyAttribute,
        DELETION_QUEUE_URL: this.queue.queueUrl,
        ...props.observabilityEnvironment,
        AWS_ENDPOINT_URL_DYNAMODB: '', // declared for sam local; empty: the regional endpoint
      },
    });
    grantTodoDeletion(this.worker, props.todoTable);
    // What is left of a job goes back to the same queue.
    this.grantSend(this.worker);
    // Receives, deletes and changes the visibility of messages, on this queue only.
    this.worker.addEventSource(
      new SqsEventSource(this.queue, {
        // A job runs until the worker's time is nearly up: a second message in the batch would
        // only start with no time left.
        batchSize: 1,
        // A failed job goes back to the queue (and in the end to the dead-letter queue) on its own.
        reportBatchItemFailures: true,
        // Not reserved concurrency: SQS would keep polling and the throttled messages would use up
        // their receives and land in the dead-letter queue unrun.
        maxConcurrency,
      }),
    );
  }

  /** SendMessage on the queue, which is all enqueueing a job takes (the queue's key is SQS's own). */
  grantSend(grantee: IGrantable): void {
    this.queue.grant(grantee, 'sqs:SendMessage');
  }
}

/** Lambda takes whole seconds up to 15 minutes; below 15 seconds the 5 kept back would be most of it. */
function checkWorkerTimeout(timeout: Duration): void {
  const seconds = timeout.toSeconds({ integral: false });
  if (!Number.isInteger(seconds) || seconds < MIN_WORKER_TIMEOUT.toSeconds() || seconds > MAX_WORKER_TIMEOUT.toSeconds()) {
    throw new Error(
      `PassportWebhook deletion.workerTimeout must be whole seconds from ${MIN_WORKER_TIMEOUT.toHumanString()} to ` +
        `${MAX_WORKER_TIMEOUT.toHumanString()}, got ${timeout.toHumanString()}: the worker keeps ` +
        `${WORKER_MARGIN.toHumanString()} back to queue what is left of a job.`,
    );
  }
}

function checkWholeNumber(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`PassportWebhook ${name} must be a whole number from ${min} to ${max}, got ${value}.`);
  }
}
