import { Duration } from 'aws-cdk-lib';
import { Table } from 'aws-cdk-lib/aws-dynamodb';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { LogLevel } from '@aws-lambda-powertools/logger';
import type { Construct, Node } from 'constructs';
import type { PassportWebhookProps } from './passport-webhook.ts';

const LOG_LEVELS = Object.values(LogLevel);
const RETENTION_DAYS = Object.values(RetentionDays).filter((days): days is RetentionDays => typeof days === 'number');
// Secrets Manager appends "-" and six characters to a secret's name in its ARN; a policy on an
// ARN without them matches nothing.
const COMPLETE_SECRET_ARN = /^arn:aws[\w-]*:secretsmanager:[\w-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;

/**
 * The stack's settings from CDK context (`-c key=value`, or "context" in cdk.json); every key is
 * optional and an empty value counts as unset. Imported resources are defined in `scope`.
 */
export function webhookPropsFromContext(scope: Construct): PassportWebhookProps {
  const context = new ContextReader(scope.node);
  const tableName = context.string('todoTableName');
  const secretArn = context.string('apiKeySecretArn');
  if (secretArn !== undefined && !COMPLETE_SECRET_ARN.test(secretArn)) {
    throw new Error(
      `Context "apiKeySecretArn" must be a secret's complete ARN, ending in "-" and six characters; got "${secretArn}".`,
    );
  }
  const topicArn = context.string('alarmTopicArn');
  const timeoutSeconds = context.integer('timeoutSeconds', 1, 29);
  return {
    todoTable: {
      table: tableName === undefined ? undefined : Table.fromTableName(scope, 'ExistingTodoTable', tableName),
      userIdAttribute: context.string('todoUserIdAttribute'),
      sortKeyAttribute: context.string('todoSortKeyAttribute'),
    },
    todoApplicationId: context.string('todoApplicationId'),
    auth: {
      apiKeySecret:
        secretArn === undefined ? undefined : Secret.fromSecretCompleteArn(scope, 'ExistingApiKeySecret', secretArn),
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

  oneOf<T extends string | number>(key: string, allowed: readonly T[]): T | undefined {
    const text = this.string(key);
    if (text === undefined) return undefined;
    const match = allowed.find((candidate) => String(candidate) === text);
    if (match === undefined) throw this.invalid(key, text, `one of ${allowed.join(', ')}`);
    return match;
  }

  private invalid(key: string, value: unknown, expected: string): Error {
    return new Error(`Context "${key}" must be ${expected}; got ${JSON.stringify(value)}.`);
  }
}
