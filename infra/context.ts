import { Duration } from 'aws-cdk-lib';
import { type ITable, Table } from 'aws-cdk-lib/aws-dynamodb';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { parseMaxMissing } from '../lambda/reconcile/missing-ratio.ts';
import type { Construct, Node } from 'constructs';
import { checkTargetSpecs } from '../lambda/targets/target-spec.ts';
import type { DeletionTargetProps } from './deletion-targets.ts';
import { EVALUATION_WINDOWS, MAX_BURST_LIMIT, MAX_PER_SOURCE_LIMIT, MAX_RATE_LIMIT, MIN_PER_SOURCE_LIMIT } from './edge-policy.ts';
import { type ErasureProps, type FusionAuthProps, MAX_CONFIRM_WINDOW, MAX_DELAY } from './erasure-settings.ts';
import { type PassportWebhookProps, WEBHOOK_LOG_LEVELS } from './passport-webhook.ts';
import type { ReconcileProps } from './reconcile-schedule.ts';
import {
  HMAC_SIGNATURE_ALGORITHMS,
  PUBLIC_KEY_SIGNATURE_ALGORITHMS,
  WEBHOOK_AUTH_MODES,
  type WebhookAuthProps,
} from './webhook-auth.ts';

const LOG_LEVELS = WEBHOOK_LOG_LEVELS;
const RETENTION_DAYS = Object.values(RetentionDays).filter((days): days is RetentionDays => typeof days === 'number');
const SIGNATURE_ALGORITHMS = [...HMAC_SIGNATURE_ALGORITHMS, ...PUBLIC_KEY_SIGNATURE_ALGORITHMS];
const COMPLETE_SECRET_ARN = /^arn:aws[\w-]*:secretsmanager:[\w-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;
/** Lambda's longest timeout: an index settle delay must fit in one, and the construct checks the worker's. */
const MAX_WORKER_TIMEOUT_MS = 900_000;

type TargetSpecs = (Omit<DeletionTargetProps, 'table'> & { readonly table: string })[];

/**
 * Keys earlier versions read: one still set is refused rather than ignored, since the stack no
 * longer does what it asked for.
 */
const RETIRED_KEYS: Readonly<Record<string, string>> = {
  dedupe: 'the erasure ledger dedupes every event by its id; there is no dedupe table to turn off',
  dedupeWindowSeconds: 'the erasure ledger dedupes every event by its id for as long as it keeps the erasure\'s record (erasureRetentionDays)',
};

/**
 * The stack's settings from CDK context (`-c key=value`, or "context" in cdk.json); every key is
 * optional and an empty value counts as unset. Imported resources are defined in `scope`. The
 * construct then checks how the settings combine.
 */
export function webhookPropsFromContext(scope: Construct): PassportWebhookProps {
  const context = new ContextReader(scope.node);
  for (const [key, reason] of Object.entries(RETIRED_KEYS)) {
    if (context.isSet(key)) throw new Error(`Context "${key}" is no longer read: ${reason}. Remove it.`);
  }
  const topicArn = context.string('alarmTopicArn');
  const timeoutSeconds = context.integer('timeoutSeconds', 1, 28);
  const deleteBudgetMs = context.integer('deleteBudgetMs', 0, 29_000);
  const workerTimeoutSeconds = context.integer('workerTimeoutSeconds', 15, 900);
  const perSourceWindowSeconds = context.oneOf('perSourceWindowSeconds', EVALUATION_WINDOWS);
  return {
    ...targetsFromContext(scope, context),
    todoApplicationId: context.string('todoApplicationId'),
    auth: authFromContext(scope, context),
    erasure: erasureFromContext(context),
    fusionAuth: fusionAuthFromContext(scope, context),
    reconcile: reconcileFromContext(context),
    deletion: {
      inlineBudget: deleteBudgetMs === undefined ? undefined : Duration.millis(deleteBudgetMs),
      workerTimeout: workerTimeoutSeconds === undefined ? undefined : Duration.seconds(workerTimeoutSeconds),
      workerMemorySize: context.integer('workerMemorySize', 128, 10_240),
      maxReceiveCount: context.integer('maxReceiveCount', 1, 1_000),
      maxConcurrency: context.integer('workerMaxConcurrency', 2, 1_000),
    },
    lambda: {
      memorySize: context.integer('memorySize', 128, 10_240),
      timeout: timeoutSeconds === undefined ? undefined : Duration.seconds(timeoutSeconds),
    },
    api: {
      rateLimit: context.integer('throttleRateLimit', 1, MAX_RATE_LIMIT),
      burstLimit: context.integer('throttleBurstLimit', 1, MAX_BURST_LIMIT),
      waf: context.boolean('waf'),
      allowedSources: context.strings('allowedSources'),
      perSourceLimit: context.integer('perSourceLimit', MIN_PER_SOURCE_LIMIT, MAX_PER_SOURCE_LIMIT),
      perSourceWindow: perSourceWindowSeconds === undefined ? undefined : Duration.seconds(perSourceWindowSeconds),
      accountLoggingRole: context.boolean('apiGatewayAccountLoggingRole'),
    },
    observability: {
      serviceName: context.string('serviceName'),
      metricsNamespace: context.string('metricsNamespace'),
      logLevel: context.oneOf('logLevel', LOG_LEVELS),
      logRetention: context.oneOf('logRetentionDays', RETENTION_DAYS),
      alarmTopic: topicArn === undefined ? undefined : Topic.fromTopicArn(scope, 'ExistingAlarmTopic', topicArn),
      dashboardName: context.string('dashboardName'),
      sourceMaps: context.boolean('sourceMaps'),
    },
  };
}

/**
 * `deletionTargets`, the targets with their tables by name, or the `todoTable*` shorthand; only
 * the keys given are passed on, so the construct can refuse the two together.
 */
function targetsFromContext(scope: Construct, context: ContextReader): Pick<PassportWebhookProps, 'targets' | 'todoTable'> {
  const tableName = context.string('todoTableName');
  const userIdAttribute = context.string('todoUserIdAttribute');
  const sortKeyAttribute = context.string('todoSortKeyAttribute');
  const shorthand = [tableName, userIdAttribute, sortKeyAttribute].some((setting) => setting !== undefined)
    ? {
        todoTable: {
          table: tableName === undefined ? undefined : Table.fromTableName(scope, 'ExistingTodoTable', tableName),
          userIdAttribute,
          sortKeyAttribute,
        },
      }
    : {};
  const specs = context.targetSpecs('deletionTargets');
  if (specs === undefined) return shorthand;
  // One import per table, however many targets name it.
  const tables = new Map<string, ITable>();
  const table = (name: string) => {
    let imported = tables.get(name);
    if (!imported) tables.set(name, (imported = Table.fromTableName(scope, `DeletionTargetTable${tables.size + 1}`, name)));
    return imported;
  };
  return { ...shorthand, targets: specs.map((spec) => ({ ...spec, table: table(spec.table) })) };
}

function erasureFromContext(context: ContextReader): ErasureProps {
  const seconds = (key: string, min: number, max: number) => {
    const value = context.integer(key, min, max);
    return value === undefined ? undefined : Duration.seconds(value);
  };
  const retentionDays = context.integer('erasureRetentionDays', 1);
  const indexSettleMs = context.integer('indexSettleMs', 0, MAX_WORKER_TIMEOUT_MS);
  return {
    confirmDelay: seconds('confirmDelaySeconds', 0, MAX_DELAY.toSeconds()),
    confirmWindow: seconds('confirmWindowSeconds', 1, MAX_CONFIRM_WINDOW.toSeconds()),
    retention: retentionDays === undefined ? undefined : Duration.days(retentionDays),
    secondPass: seconds('secondPassSeconds', 0, MAX_DELAY.toSeconds()),
    indexSettle: indexSettleMs === undefined ? undefined : Duration.millis(indexSettleMs),
    eraseBeforeCommit: context.boolean('eraseBeforeCommit'),
  };
}

function fusionAuthFromContext(scope: Construct, context: ContextReader): FusionAuthProps | undefined {
  const url = context.string('fusionAuthUrl');
  const apiKeySecret = context.secret(scope, 'fusionAuthApiKeySecretArn', 'ExistingFusionAuthApiKeySecret');
  if (url === undefined) {
    if (apiKeySecret) throw new Error('Context "fusionAuthApiKeySecretArn" is set, but "fusionAuthUrl" is not: set the URL too, or neither.');
    return undefined;
  }
  return { url, apiKeySecret };
}

/**
 * `reconcileSchedule` turns the scheduled reconcile on: an EventBridge Scheduler expression,
 * `rate(1 day)`, `cron(0 3 * * ? *)`; `reconcileMaxMissing` as a percentage (`20%`) or a fraction
 * (`0.2`), and `reconcileLookup`, `reconcileSegments`, `reconcileRequestsPerSecond`.
 */
function reconcileFromContext(context: ContextReader): ReconcileProps | undefined {
  const expression = context.string('reconcileSchedule');
  const others = ['reconcileMaxMissing', 'reconcileLookup', 'reconcileSegments', 'reconcileRequestsPerSecond'].filter((key) => context.isSet(key));
  if (expression === undefined) {
    if (others.length > 0) throw new Error(`Context "${others[0]}" is set, but "reconcileSchedule" is not: set the schedule too, or neither.`);
    return undefined;
  }
  if (!/^(rate|cron)\(.+\)$/.test(expression)) {
    throw new Error(`Context "reconcileSchedule" must be a schedule expression, e.g. "rate(1 day)" or "cron(0 3 * * ? *)"; got ${JSON.stringify(expression)}.`);
  }
  const maxMissing = context.string('reconcileMaxMissing');
  let fraction: number | undefined;
  if (maxMissing !== undefined) {
    try {
      fraction = parseMaxMissing(maxMissing);
    } catch (error) {
      throw new Error(`Context "reconcileMaxMissing": ${(error as Error).message}`, { cause: error });
    }
  }
  return {
    schedule: ScheduleExpression.expression(expression),
    maxMissing: fraction,
    lookup: context.oneOf('reconcileLookup', ['get', 'search'] as const),
    segments: context.integer('reconcileSegments', 1, 100),
    requestsPerSecond: context.integer('reconcileRequestsPerSecond', 1, 10_000),
  };
}

function authFromContext(scope: Construct, context: ContextReader): WebhookAuthProps {
  const jwksUrl = context.string('jwksUrl');
  const algorithms = context.list('signatureAlgorithms', SIGNATURE_ALGORITHMS);
  const hmacSecret = context.secret(scope, 'signingKeySecretArn', 'ExistingSigningKeySecret');
  const secretCacheSeconds = context.integer('secretCacheSeconds', 1, 3_600);
  return {
    modes: context.list('auth', WEBHOOK_AUTH_MODES),
    apiKeyHeader: context.string('apiKeyHeader'),
    apiKeySecret: context.secret(scope, 'apiKeySecretArn', 'ExistingApiKeySecret'),
    // Only when one is given: a signature setting with the mode off is refused, as a mistake.
    signature: [jwksUrl, algorithms, hmacSecret].some((setting) => setting !== undefined)
      ? { jwksUrl, algorithms, hmacSecret }
      : undefined,
    basicAuthSecret: context.secret(scope, 'basicAuthSecretArn', 'ExistingBasicAuthSecret'),
    secretMaxAge: secretCacheSeconds === undefined ? undefined : Duration.seconds(secretCacheSeconds),
  };
}

/** Context values arrive as strings from `-c` and as JSON values from cdk.json: both are accepted. */
class ContextReader {
  constructor(private readonly node: Node) {}

  /** Whether the key has a value at all, of any type; an empty string counts as unset. */
  isSet(key: string): boolean {
    const value: unknown = this.node.tryGetContext(key);
    return value !== undefined && value !== null && !(typeof value === 'string' && value.trim() === '');
  }

  string(key: string): string | undefined {
    const value: unknown = this.node.tryGetContext(key);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' && typeof value !== 'number') throw this.invalid(key, value, 'a string');
    const text = String(value).trim();
    return text === '' ? undefined : text;
  }

  integer(key: string, min: number, max?: number): number | undefined {
    const text = this.string(key);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min || (max !== undefined && value > max)) {
      throw this.invalid(key, text, max === undefined ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`);
    }
    return value;
  }

  /**
   * A secret's complete ARN: Secrets Manager appends "-" and six characters to a secret's name in
   * its ARN, and a policy on an ARN without them matches nothing.
   */
  secret(scope: Construct, key: string, id: string): ISecret | undefined {
    const arn = this.string(key);
    if (arn === undefined) return undefined;
    if (!COMPLETE_SECRET_ARN.test(arn)) {
      throw new Error(`Context "${key}" must be a secret's complete ARN, ending in "-" and six characters; got "${arn}".`);
    }
    return Secret.fromSecretCompleteArn(scope, id, arn);
  }

  /**
   * Deletion targets as DELETION_TARGETS takes them, tables by name: a JSON string from `-c`, or
   * an array in cdk.json. They are checked as the function checks them, with its messages.
   */
  targetSpecs(key: string): TargetSpecs | undefined {
    const value: unknown = this.node.tryGetContext(key);
    let specs: unknown = value;
    if (typeof value === 'string') {
      if (value.trim() === '') return undefined;
      try {
        specs = JSON.parse(value);
      } catch {
        throw this.invalid(key, value, 'a JSON array of deletion targets, e.g. [{"table": "Todos"}]');
      }
    }
    if (specs === undefined || specs === null) return undefined;
    try {
      checkTargetSpecs(specs);
    } catch (error) {
      throw new Error(`Context "${key}": ${(error as Error).message}`, { cause: error });
    }
    return specs as TargetSpecs;
  }

  boolean(key: string): boolean | undefined {
    const value: unknown = this.node.tryGetContext(key);
    if (typeof value === 'boolean') return value;
    const text = this.string(key);
    if (text === undefined) return undefined;
    if (text !== 'true' && text !== 'false') throw this.invalid(key, text, 'true or false');
    return text === 'true';
  }

  oneOf<T extends string | number>(key: string, allowed: readonly T[]): T | undefined {
    const text = this.string(key);
    if (text === undefined) return undefined;
    const match = allowed.find((candidate) => String(candidate) === text);
    if (match === undefined) throw this.invalid(key, text, `one of ${allowed.join(', ')}`);
    return match;
  }

  /** `a,b` from `-c`, or `["a", "b"]` from cdk.json; undefined when it lists nothing. */
  strings(key: string): string[] | undefined {
    const value: unknown = this.node.tryGetContext(key);
    const entries = Array.isArray(value) ? value.map((entry) => String(entry)) : this.string(key)?.split(',');
    const listed = entries?.map((entry) => entry.trim()).filter((entry) => entry !== '');
    return listed && listed.length > 0 ? listed : undefined;
  }

  /** `a,b` from `-c`, or `["a", "b"]` from cdk.json; each entry one of `allowed`. */
  list<T extends string>(key: string, allowed: readonly T[]): T[] | undefined {
    const value: unknown = this.node.tryGetContext(key);
    const entries = Array.isArray(value) ? value.map((entry) => String(entry)) : this.string(key)?.split(',');
    if (entries === undefined) return undefined;
    const listed = entries.map((entry) => entry.trim()).filter((entry) => entry !== '');
    if (listed.length === 0) return undefined;
    const expected = `a comma-separated list of ${allowed.join(', ')}`;
    return listed.map((entry) => {
      const match = allowed.find((candidate) => candidate === entry);
      if (match === undefined) throw this.invalid(key, value, expected);
      return match;
    });
  }

  private invalid(key: string, value: unknown, expected: string): Error {
    return new Error(`Context "${key}" must be ${expected}; got ${JSON.stringify(value)}.`);
  }
}
