import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Schedule, type ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { SqsSendMessage } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
// Import-free on purpose: the run table's shape, the job the schedule sends, the settings' limits.
import { DEFAULT_MAX_MISSING } from '../lambda/reconcile/missing-ratio.ts';
import type { ReconcileStartJob } from '../lambda/reconcile/reconcile-jobs.ts';
import { RECONCILE_KEYS, RECONCILE_TTL_ATTRIBUTE } from '../lambda/reconcile/reconcile-schema.ts';
import type { DeletionTargets } from './deletion-targets.ts';
import { schedulerRole } from './scheduler-role.ts';

export interface ReconcileProps {
  /**
   * When a run starts, e.g. `ScheduleExpression.rate(Duration.days(1))` or
   * `ScheduleExpression.cron({ hour: '3', minute: '0' })`. A start while a run is still going is skipped.
   */
  readonly schedule: ScheduleExpression;
  /**
   * The share of the users checked, as a fraction from 0 to 1, that may be missing in FusionAuth
   * before a run refuses to erase anything and alarms: 0.2 is 20%; 1 turns the refusal off.
   * @default 0.2
   */
  readonly maxMissing?: number;
  /**
   * How the worker asks FusionAuth: `get`, one `GET /api/user/{id}` per user, which the worker's key
   * (GET on /api/user) allows; `search`, one `POST /api/user/search` per 100 users, for a key allowed that too.
   * @default 'get'
   */
  readonly lookup?: 'get' | 'search';
  /**
   * Parallel Scan segments per target: each is a chain of page jobs, one at a time.
   * @default 4
   */
  readonly segments?: number;
  /**
   * Requests per second to FusionAuth, all segments together.
   * @default 10
   */
  readonly requestsPerSecond?: number;
}

export interface ReconcileScheduleProps extends ReconcileProps {
  readonly worker: LambdaFunction;
  readonly queue: IQueue;
  readonly targets: DeletionTargets;
}

/** A start that could not be sent within this long is dropped: the next one comes. */
const MAX_START_AGE = Duration.hours(1);
const START_JOB: ReconcileStartJob = { kind: 'reconcile-start' };

/**
 * The scheduled reconcile: a schedule that sends the start job to the erasure job queue, the
 * table a run keeps its state in (lambda/reconcile/reconcile-schema.ts says why a table of its
 * own), and what the worker needs for it: its settings, the run table, and Scan on what the
 * targets read. Scan is allowed only here, only when reconcile is on.
 */
export class ReconcileSchedule extends Construct {
  readonly table: Table;
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: ReconcileScheduleProps) {
    super(scope, id);
    const maxMissing = props.maxMissing ?? DEFAULT_MAX_MISSING;
    if (!(maxMissing >= 0 && maxMissing <= 1)) {
      throw new Error(`PassportWebhook reconcile.maxMissing must be a fraction from 0 to 1 (0.2 is 20%), got ${maxMissing}.`);
    }
    const segments = checkWholeNumber('reconcile.segments', props.segments ?? 4, 1, 100);
    const requestsPerSecond = checkWholeNumber('reconcile.requestsPerSecond', props.requestsPerSecond ?? 10, 1, 10_000);
    const lookup = props.lookup ?? 'get';
    if (lookup !== 'get' && lookup !== 'search') throw new Error(`PassportWebhook reconcile.lookup must be "get" or "search", got ${String(lookup)}.`);

    this.table = new Table(this, 'RunTable', {
      partitionKey: { name: RECONCILE_KEYS.partition, type: AttributeType.STRING },
      sortKey: { name: RECONCILE_KEYS.sort, type: AttributeType.STRING },
      timeToLiveAttribute: RECONCILE_TTL_ATTRIBUTE,
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Scaffolding of runs, expiring by TTL: nothing in it outlives its use.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Exactly the calls of lambda/reconcile/reconcile-run-store.ts.
    this.table.grant(
      props.worker,
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:Query',
      'dynamodb:BatchWriteItem',
    );
    props.targets.grantReconcileScan(props.worker);
    const environment: Record<string, string> = {
      RECONCILE_TABLE_NAME: this.table.tableName,
      RECONCILE_MAX_MISSING: String(maxMissing),
      RECONCILE_LOOKUP: lookup,
      RECONCILE_SEGMENTS: String(segments),
      RECONCILE_RPS: String(requestsPerSecond),
    };
    for (const [name, value] of Object.entries(environment)) props.worker.addEnvironment(name, value);
    this.schedule = this.createSchedule(props.schedule, props.queue);
  }

  /** Like the sweep's: its role may send to the job queue alone, and only Scheduler in this account may assume it. */
  private createSchedule(expression: ScheduleExpression, queue: IQueue): Schedule {
    const role = schedulerRole(this, 'ScheduleRole', 'passport-webhook reconcile schedule: sends the reconcile start job to the erasure job queue');
    return new Schedule(this, 'Schedule', {
      description: 'Starts a reconcile: erases the Todos of users FusionAuth no longer has, unless too many are missing',
      schedule: expression,
      target: new SqsSendMessage(queue, { role, input: ScheduleTargetInput.fromObject(START_JOB), maxEventAge: MAX_START_AGE }),
    });
  }
}

function checkWholeNumber(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`PassportWebhook ${name} must be a whole number from ${min} to ${max}, got ${value}.`);
  return value;
}
