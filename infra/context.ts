import { Duration } from 'aws-cdk-lib';
import { Table } from 'aws-cdk-lib/aws-dynamodb';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { LogLevel } from '@aws-lambda-powertools/logger';
import type { Construct, Node } from 'constructs';
import type { PassportWebhookProps } from './passport-webhook.ts';
import {
  HMAC_SIGNATURE_ALGORITHMS,
  PUBLIC_KEY_SIGNATURE_ALGORITHMS,
  WEBHOOK_AUTH_MODES,
  type WebhookAuthProps,
} from './webhook-auth.ts';

const LOG_LEVELS = Object.values(LogLevel);
const RETENTION_DAYS = Object.values(RetentionDays).filter((days): days is RetentionDays => typeof days === 'number');
const SIGNATURE_ALGORITHMS = [...HMAC_SIGNATURE_ALGORITHMS, ...PUBLIC_KEY_SIGNATURE_ALGORITHMS];
// Secrets Manager appends "-" and six characters to a secret's name in its ARN; a policy on an
// ARN without them matches nothing.
const COMPLETE_SECRET_ARN = /^arn:aws[\w-]*:secretsmanager:[\w-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;
const ONE_YEAR_SECONDS = 365 * 24 * 3600;

/**
 * The stack's settings from CDK context (`-c key=value`, or "context" in cdk.json); every key is
 * optional and an empty value counts as unset. Imported resources are defined in `scope`. The
 * construct then checks how the settings combine.
 */
export function webhookPropsFromContext(scope: Construct): PassportWebhookProps {
  const context = new ContextReader(scope.node);
  const tableName = context.string('todoTableName');
  const topicArn = context.string('alarmTopicArn');
  const timeoutSeconds = context.integer('timeoutSeconds', 1, 29);
  const dedupeWindowSeconds = context.integer('dedupeWindowSeconds', 1, ONE_YEAR_SECONDS);
  const deleteBudgetMs = context.integer('deleteBudgetMs', 0, 29_000);
  const workerTimeoutSeconds = context.integer('workerTimeoutSeconds', 15, 900);
  return {
    todoTable: {
      table: tableName === undefined ? undefined : Table.fromTableName(scope, 'ExistingTodoTable', tableName),
      userIdAttribute: context.string('todoUserIdAttribute'),
      sortKeyAttribute: context.string('todoSortKeyAttribute'),
    },
    todoApplicationId: context.string('todoApplicationId'),
    auth: authFromContext(scope, context),
    dedupe: {
      enabled: context.boolean('dedupe'),
      window: dedupeWindowSeconds === undefined ? undefined : Duration.seconds(dedupeWindowSeconds),
    },
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
      rateLimit: context.integer('throttleRateLimit', 1, 10_000),
      burstLimit: context.integer('throttleBurstLimit', 1, 5_000),
    },
    observability: {
      serviceName: context.string('serviceName'),
      metricsNamespace: context.string('metricsNamespace'),
      logLevel: context.oneOf('logLevel', LOG_LEVELS),
      logRetention: context.oneOf('logRetentionDays', RETENTION_DAYS),
      alarmTopic: topicArn === undefined ? undefined : Topic.fromTopicArn(scope, 'ExistingAlarmTopic', topicArn),
      dashboardName: context.string('dashboardName'),
    },
  };
}

function authFromContext(scope: Construct, context: ContextReader): WebhookAuthProps {
  const secret = (key: string, id: string): ISecret | undefined => {
    const arn = context.string(key);
    if (arn === undefined) return undefined;
    if (!COMPLETE_SECRET_ARN.test(arn)) {
      throw new Error(`Context "${key}" must be a secret's complete ARN, ending in "-" and six characters; got "${arn}".`);
    }
    return Secret.fromSecretCompleteArn(scope, id, arn);
  };
  const jwksUrl = context.string('jwksUrl');
  const algorithms = context.list('signatureAlgorithms', SIGNATURE_ALGORITHMS);
  const hmacSecret = secret('signingKeySecretArn', 'ExistingSigningKeySecret');
  const secretCacheSeconds = context.integer('secretCacheSeconds', 0, 3_600);
  return {
    modes: context.list('auth', WEBHOOK_AUTH_MODES),
    apiKeyHeader: context.string('apiKeyHeader'),
    apiKeySecret: secret('apiKeySecretArn', 'ExistingApiKeySecret'),
    // Only when one is given: a signature setting with the mode off is refused, as a mistake.
    signature: [jwksUrl, algorithms, hmacSecret].some((setting) => setting !== undefined)
      ? { jwksUrl, algorithms, hmacSecret }
      : undefined,
    basicAuthSecret: secret('basicAuthSecretArn', 'ExistingBasicAuthSecret'),
    secretMaxAge: secretCacheSeconds === undefined ? undefined : Duration.seconds(secretCacheSeconds),
  };
}

/** Context values arrive as strings from `-c` and as JSON values from cdk.json: both are accepted. */
class ContextReader {
  constructor(private readonly node: Node) {}

  string(key: string): string | undefined {
    const value: unknown = this.node.tryGetContext(key);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' && typeof value !== 'number') throw this.invalid(key, value, 'a string');
    const text = String(value).trim();
    return text === '' ? undefined : text;
  }

  integer(key: string, min: number, max: number): number | undefined {
    const text = this.string(key);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw this.invalid(key, text, `a whole number from ${min} to ${max}`);
    }
    return value;
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
