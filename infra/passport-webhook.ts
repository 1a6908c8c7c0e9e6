import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination, PayloadFormatVersion } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, BillingMode, type ITable, Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { Construct } from 'constructs';
import { DeletionQueue, type WebhookDeletionProps } from './deletion-queue.ts';
import { createLambdaFunction, grantTodoDeletion } from './lambda-function.ts';
import { WEBHOOK_PATH } from './names.ts';
import { type ResolvedAuth, resolveAuth, type WebhookAuthProps } from './webhook-auth.ts';
import { WebhookMonitoring } from './webhook-monitoring.ts';

/** API Gateway ends a Lambda integration after 30 seconds, whatever the function is still doing. */
const API_GATEWAY_TIMEOUT = Duration.seconds(30);
/**
 * Powertools Idempotency's DynamoDB calls (DynamoDBPersistenceLayer): read a record, write one
 * under a condition, complete it, and delete it when the handler failed.
 */
const DEDUPE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];

export interface TodoTableProps {
  /**
   * An existing table to delete Todos from, e.g. `Table.fromTableName(...)` or a table of the
   * same app. Only its ARN and name are used.
   * @default - a new table: on demand, point-in-time recovery, deletion protection, retained
   */
  readonly table?: ITable;
  /**
   * Partition key attribute, which holds the FusionAuth user id.
   * @default 'userId'
   */
  readonly userIdAttribute?: string;
  /**
   * Sort key attribute, one Todo of that user.
   * @default 'todoId'
   */
  readonly sortKeyAttribute?: string;
}

export interface WebhookLambdaProps {
  /**
   * Memory in MB. CPU grows with it, so more memory also shortens the cold start Passport waits for.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * How long one delivery may run; must stay below API Gateway's 30-second integration limit,
   * and above `deletion.inlineBudget`.
   * @default Duration.seconds(25)
   */
  readonly timeout?: Duration;
}

export interface WebhookDedupeProps {
  /**
   * Whether each event id is handled once: FusionAuth may deliver an event more than once, and a
   * captured signed delivery could be replayed. Off, every delivery runs its handler (which is
   * safe for deletions, only slower) and no table is created.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * How long a handled event id is remembered: a redelivery or replay inside it is answered from
   * the record. SECURITY.md explains what a replay after it can do.
   * @default Duration.days(7)
   */
  readonly window?: Duration;
}

export interface WebhookApiProps {
  /**
   * Requests per second the stage accepts, on average, before answering 429.
   * @default 50
   */
  readonly rateLimit?: number;
  /**
   * Requests the stage accepts at once above the rate, e.g. a burst of bulk user deletions.
   * @default 100
   */
  readonly burstLimit?: number;
}

export interface WebhookObservabilityProps {
  /**
   * Powertools service name (POWERTOOLS_SERVICE_NAME), also the `service` metric dimension.
   * @default 'passport-webhook'
   */
  readonly serviceName?: string;
  /**
   * Namespace of the handler's metrics (POWERTOOLS_METRICS_NAMESPACE).
   * @default 'PassportWebhook'
   */
  readonly metricsNamespace?: string;
  /**
   * Handler log level (POWERTOOLS_LOG_LEVEL).
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * How long the function's and the API's log groups keep events.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Notified when an alarm goes off and when it clears.
   * @default - the alarms only show on the dashboard
   */
  readonly alarmTopic?: ITopic;
  /**
   * @default - CloudFormation names the dashboard
   */
  readonly dashboardName?: string;
}

export interface PassportWebhookProps {
  /** @default - a new table keyed `userId` / `todoId` */
  readonly todoTable?: TodoTableProps;
  /**
   * The FusionAuth application whose registrations own Todos: a `user.registration.delete` for it
   * deletes that user's Todos.
   * @default - registration deletions are ignored; only `user.delete` deletes Todos
   */
  readonly todoApplicationId?: string;
  /** @default - an API key in the Authorization header, generated into a new secret */
  readonly auth?: WebhookAuthProps;
  /** @default - each event id handled once, remembered 7 days, in a table of its own */
  readonly dedupe?: WebhookDedupeProps;
  /** @default - 1 second inline per delivery, then a queue and a worker with a 5-minute timeout */
  readonly deletion?: WebhookDeletionProps;
  readonly lambda?: WebhookLambdaProps;
  readonly api?: WebhookApiProps;
  readonly observability?: WebhookObservabilityProps;
}

interface TodoKeys {
  readonly userIdAttribute: string;
  readonly sortKeyAttribute: string;
}

/**
 * The Passport (FusionAuth) webhook: an HTTP API route `POST /passport-webhook` in front of a
 * Lambda function that deletes a user's Todos from DynamoDB when Passport reports the user (or
 * their registration to the Todo application) deleted. The function may query and batch-delete
 * on the Todo table and read the API key secret, nothing else.
 */
export class PassportWebhook extends Construct {
  readonly todoTable: ITable;
  readonly apiKeySecret: ISecret;
  readonly function: NodejsFunction;
  readonly api: HttpApi;
  /** The URL to enter in Passport, path included. */
  readonly webhookUrl: string;
  readonly monitoring: WebhookMonitoring;

  constructor(scope: Construct, id: string, props: PassportWebhookProps = {}) {
    super(scope, id);
    const observability = props.observability ?? {};
    const serviceName = observability.serviceName ?? 'passport-webhook';
    const metricsNamespace = observability.metricsNamespace ?? 'PassportWebhook';
    const logRetention = observability.logRetention ?? RetentionDays.ONE_MONTH;
    const keys: TodoKeys = {
      userIdAttribute: props.todoTable?.userIdAttribute ?? 'userId',
      sortKeyAttribute: props.todoTable?.sortKeyAttribute ?? 'todoId',
    };

    this.todoTable = props.todoTable?.table ?? this.createTodoTable(keys);
    this.apiKeySecret = props.auth?.apiKeySecret ?? this.createApiKeySecret();
    this.function = this.createFunction(props.lambda ?? {}, logRetention, {
      TODO_TABLE_NAME: this.todoTable.tableName,
      TODO_USER_ID_ATTRIBUTE: keys.userIdAttribute,
      TODO_SORT_KEY_ATTRIBUTE: keys.sortKeyAttribute,
      API_KEY_SECRET_ARN: this.apiKeySecret.secretArn,
      POWERTOOLS_SERVICE_NAME: serviceName,
      POWERTOOLS_METRICS_NAMESPACE: metricsNamespace,
      POWERTOOLS_LOG_LEVEL: observability.logLevel ?? 'INFO',
      ...SOURCE_MAPS_ENVIRONMENT,
      // Declared even when empty: `sam local invoke --env-vars` only sets variables the template
      // declares, and the handler (like the SDK) reads an empty value as unset.
      TODO_APPLICATION_ID: props.todoApplicationId ?? '',
      WEBHOOK_API_KEYS: '', // empty: the keys come from the secret
      AWS_ENDPOINT_URL_DYNAMODB: '', // empty: the regional endpoint
    });
    this.grantHandlerCalls();
    this.api = this.createApi(props.api ?? {}, logRetention);
    this.webhookUrl = `${this.api.apiEndpoint}${WEBHOOK_PATH}`;
    this.monitoring = new WebhookMonitoring(this, 'Monitoring', {
      function: this.function,
      api: this.api,
      metricsNamespace,
      serviceName,
      alarmTopic: observability.alarmTopic,
      dashboardName: observability.dashboardName,
    });
  }

  private createTodoTable(keys: TodoKeys): Table {
    return new Table(this, 'TodoTable', {
      partitionKey: { name: keys.userIdAttribute, type: AttributeType.STRING },
      sortKey: { name: keys.sortKeyAttribute, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // The Todos are user data: neither a stack deletion nor a stray console click drops them.
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  private createApiKeySecret(): Secret {
    const secret = new Secret(this, 'ApiKeySecret', {
      description: 'The API key Passport sends in the Authorization header of its webhook requests',
      // Letters and digits only: the value is pasted into a header, and commas separate keys.
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The key is a shared credential typed into Passport\'s webhook headers; a rotation Lambda cannot ' +
        'update Passport. Rotate by hand: add a second comma-separated key, change Passport, remove the old one.',
    });
    return secret;
  }

  private createFunction(
    props: WebhookLambdaProps,
    logRetention: RetentionDays,
    environment: Record<string, string>,
  ): NodejsFunction {
    const timeout = props.timeout ?? Duration.seconds(25);
    if (timeout.toMilliseconds() >= API_GATEWAY_TIMEOUT.toMilliseconds()) {
      throw new Error(
        `lambda.timeout must be below API Gateway's ${API_GATEWAY_TIMEOUT.toHumanString()}, got ${timeout.toHumanString()}.`,
      );
    }
    const logGroup = new LogGroup(this, 'FunctionLogs', { retention: logRetention });
    // Its own role rather than AWSLambdaBasicExecutionRole, whose logs permissions cover every log group.
    const role = new Role(this, 'FunctionRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'passport-webhook function: its own log group, the Todo table, the API key secret',
    });
    logGroup.grantWrite(role);
    const fn = new NodejsFunction(this, 'Function', {
      description: 'Deletes a user\'s Todos when Passport reports the user or their registration deleted',
      entry: lambdaEntry('index.ts'),
      handler: 'handler',
      runtime: LAMBDA_RUNTIME,
      architecture: LAMBDA_ARCHITECTURE,
      memorySize: props.memorySize ?? 512,
      timeout,
      role,
      logGroup,
      environment,
      bundling: LAMBDA_BUNDLING,
    });
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is the runtime the handler is typed (@types/node 22), built and tested for; moving to a ' +
        'newer one is a deliberate upgrade with its own test run, not a side effect of a CDK update.',
    });
    return fn;
  }

  /** Exactly the calls the handler makes: Query and BatchWriteItem on the table, GetSecretValue on the secret. */
  private grantHandlerCalls(): void {
    this.function.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query', 'dynamodb:BatchWriteItem'],
        resources: [this.todoTable.tableArn],
      }),
    );
    this.function.addToRolePolicy(
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.apiKeySecret.secretArn] }),
    );
    // A secret encrypted with a customer managed key also needs that key to decrypt it.
    this.apiKeySecret.encryptionKey?.grantDecrypt(this.function);
  }

  private createApi(props: WebhookApiProps, logRetention: RetentionDays): HttpApi {
    const api = new HttpApi(this, 'Api', {
      description: 'Receives Passport (FusionAuth) webhook events',
      // The default stage takes neither throttling nor access logs; the stage below does.
      createDefaultStage: false,
    });
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: logRetention });
    new HttpStage(this, 'Stage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit ?? 50, burstLimit: props.burstLimit ?? 100 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    api.addRoutes({
      path: WEBHOOK_PATH,
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('Handler', this.function, {
        payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
      }),
    });
    Validations.of(api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Passport authenticates with a static key in the Authorization header, which the function checks in ' +
        'constant time against the secret. HTTP APIs have no API-key authorizer, and a Lambda authorizer ' +
        'would only move the same check into a second function with its own cold start.',
    });
    return api;
  }
}

/** One JSON object per request: enough to match a Passport delivery to its Lambda invocation. */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  routeKey: '$context.routeKey',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integration.status',
  integrationLatency: '$context.integration.latency',
  integrationRequestId: '$context.integration.requestId',
  integrationError: '$context.integrationErrorMessage',
  error: '$context.error.message',
};
