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
   * Namespace of both functions' metrics (POWERTOOLS_METRICS_NAMESPACE).
   * @default 'PassportWebhook'
   */
  readonly metricsNamespace?: string;
  /**
   * Both functions' log level (POWERTOOLS_LOG_LEVEL).
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * How long the functions' and the API's log groups keep events.
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
 * their registration to the Todo application) deleted. Each request must pass the auth modes
 * configured; each event id is handled once (a dedupe table); a deletion that outlasts its
 * budget goes on in a worker behind a queue. Each function may make the calls its code makes on
 * these resources, nothing else.
 */
export class PassportWebhook extends Construct {
  readonly todoTable: ITable;
  /** The API keys, when `api-key` is on. */
  readonly apiKeySecret?: ISecret;
  /** The HMAC secret of the Key Master signing key, when signatures may use HMAC. */
  readonly signingKeySecret?: ISecret;
  /** The Basic credentials, when `basic` is on. */
  readonly basicAuthSecret?: ISecret;
  /** The event ids handled (Powertools Idempotency records), unless dedupe is off. */
  readonly dedupeTable?: Table;
  /** The queue, dead-letter queue and worker that finish long deletions. */
  readonly deletion: DeletionQueue;
  readonly function: NodejsFunction;
  readonly api: HttpApi;
  /** The URL to enter in Passport, path included. */
  readonly webhookUrl: string;
  readonly monitoring: WebhookMonitoring;

  constructor(scope: Construct, id: string, props: PassportWebhookProps = {}) {
    super(scope, id);
    // Settings that cannot work fail here, each with its own message, rather than in CloudFormation
    // or at the function's first cold start (the deletion queue checks its own).
    const auth = resolveAuth(props.auth ?? {});
    const timeout = props.lambda?.timeout ?? Duration.seconds(25);
    const { inlineBudget = Duration.seconds(1), ...workerSettings } = props.deletion ?? {};
    checkTimeouts(timeout, inlineBudget);
    const dedupeWindow = resolveDedupeWindow(props.dedupe ?? {});

    const observability = props.observability ?? {};
    const serviceName = observability.serviceName ?? 'passport-webhook';
    const metricsNamespace = observability.metricsNamespace ?? 'PassportWebhook';
    const logRetention = observability.logRetention ?? RetentionDays.ONE_MONTH;
    const powertools = {
      POWERTOOLS_SERVICE_NAME: serviceName,
      POWERTOOLS_METRICS_NAMESPACE: metricsNamespace,
      POWERTOOLS_LOG_LEVEL: observability.logLevel ?? 'INFO',
    };
    const keys: TodoKeys = {
      userIdAttribute: props.todoTable?.userIdAttribute ?? 'userId',
      sortKeyAttribute: props.todoTable?.sortKeyAttribute ?? 'todoId',
    };

    this.todoTable = props.todoTable?.table ?? this.createTodoTable(keys);
    this.apiKeySecret = auth.apiKey && (auth.apiKey.secret ?? this.createApiKeySecret(auth.apiKey.header));
    this.signingKeySecret = auth.signature?.hmac ? (auth.signature.hmacSecret ?? this.createSigningKeySecret()) : undefined;
    this.basicAuthSecret = auth.basicAuthSecret;
    this.dedupeTable = dedupeWindow === undefined ? undefined : this.createDedupeTable();
    this.deletion = new DeletionQueue(this, 'Deletion', {
      ...workerSettings,
      todoTable: this.todoTable,
      ...keys,
      observabilityEnvironment: powertools,
      logRetention,
    });
    this.function = createLambdaFunction(this, 'Function', {
      entry: 'index.ts',
      description: 'Deletes a user\'s Todos when Passport reports the user or their registration deleted',
      roleDescription: 'passport-webhook function: its own log group, the Todo table, its secrets, dedupe table and queue',
      memorySize: props.lambda?.memorySize ?? 512,
      timeout,
      logRetention,
      environment: {
        TODO_TABLE_NAME: this.todoTable.tableName,
        TODO_USER_ID_ATTRIBUTE: keys.userIdAttribute,
        TODO_SORT_KEY_ATTRIBUTE: keys.sortKeyAttribute,
        TODO_APPLICATION_ID: props.todoApplicationId ?? '',
        ...this.authEnvironment(auth),
        IDEMPOTENCY_TABLE_NAME: this.dedupeTable?.tableName ?? '',
        IDEMPOTENCY_WINDOW_SECONDS: dedupeWindow === undefined ? '' : String(dedupeWindow.toSeconds()),
        DELETION_QUEUE_URL: this.deletion.queue.queueUrl,
        DELETE_BUDGET_MS: String(inlineBudget.toMilliseconds()),
        ...powertools,
        AWS_ENDPOINT_URL_DYNAMODB: '', // declared for sam local; empty: the regional endpoint
      },
    });
    this.grantHandlerCalls();
    this.api = this.createApi(props.api ?? {}, logRetention);
    this.webhookUrl = `${this.api.apiEndpoint}${WEBHOOK_PATH}`;
    this.monitoring = new WebhookMonitoring(this, 'Monitoring', {
      function: this.function,
      api: this.api,
      deletion: this.deletion,
      metricsNamespace,
      serviceName,
      alarmTopic: observability.alarmTopic,
      dashboardName: observability.dashboardName,
    });
  }

  /**
   * Every variable lambda/config.ts reads about auth. Those only a local run sets (the credentials
   * themselves, a JWKS file) are declared empty: `sam local invoke --env-vars` only sets variables
   * the template declares, and the function reads an empty one as unset. So are the settings of
   * modes that are off, which env.local.json may turn on.
   */
  private authEnvironment(auth: ResolvedAuth): Record<string, string> {
    return {
      WEBHOOK_AUTH: auth.modes.join(','),
      WEBHOOK_API_KEY_HEADER: auth.apiKey?.header ?? '',
      API_KEY_SECRET_ARN: this.apiKeySecret?.secretArn ?? '',
      SIGNING_KEY_SECRET_ARN: this.signingKeySecret?.secretArn ?? '',
      WEBHOOK_JWKS_URL: auth.signature?.jwksUrl ?? '',
      // Pinned as resolved, rather than left to the function's defaults, so the template says it.
      WEBHOOK_SIGNATURE_ALGORITHMS: auth.signature?.algorithms.join(',') ?? '',
      BASIC_AUTH_SECRET_ARN: this.basicAuthSecret?.secretArn ?? '',
      SECRET_CACHE_SECONDS: String(auth.secretMaxAgeSeconds),
      WEBHOOK_API_KEYS: '',
      WEBHOOK_SIGNING_KEYS: '',
      WEBHOOK_BASIC_AUTH: '',
      WEBHOOK_JWKS_FILE: '',
    };
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

  private createApiKeySecret(header: string): Secret {
    const secret = new Secret(this, 'ApiKeySecret', {
      description: `The API key Passport sends in the ${header} header of its webhook requests`,
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

  private createSigningKeySecret(): Secret {
    const secret = new Secret(this, 'SigningKeySecret', {
      description: 'The HMAC secret of the FusionAuth Key Master key that signs Passport\'s webhook events',
      // 64 characters are 64 bytes of key: what RFC 7518 asks of an HS512 key, more than HS256 and
      // HS384 need. Letters and digits only: it is pasted into Key Master, and commas separate secrets.
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The secret is imported into FusionAuth\'s Key Master as an HMAC key; a rotation Lambda can update ' +
        'neither Key Master nor the webhook\'s signing key. Rotate by hand: import a new key, list both secrets ' +
        'comma-separated, switch the webhook to the new key, remove the old secret.',
    });
    return secret;
  }

  private createDedupeTable(): Table {
    return new Table(this, 'DedupeTable', {
      // Powertools Idempotency's default schema: the key `id`; `expiration` holds the epoch second
      // a record expires, which DynamoDB's TTL then deletes at no cost.
      partitionKey: { name: 'id', type: AttributeType.STRING },
      timeToLiveAttribute: 'expiration',
      billingMode: BillingMode.PAY_PER_REQUEST,
      // A restore after a bad write or a mistaken delete brings the replay protection back.
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Records that each expire within the window and mean nothing without this webhook: a stack
      // deletion takes them along instead of leaving a table nobody reads.
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /** Exactly the calls the handler makes, on these resources only. */
  private grantHandlerCalls(): void {
    grantTodoDeletion(this.function, this.todoTable);
    for (const secret of [this.apiKeySecret, this.signingKeySecret, this.basicAuthSecret]) {
      if (!secret) continue;
      this.function.addToRolePolicy(
        new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
      );
      // A secret encrypted with a customer managed key also needs that key to decrypt it.
      secret.encryptionKey?.grantDecrypt(this.function);
    }
    if (this.dedupeTable) {
      this.function.addToRolePolicy(new PolicyStatement({ actions: DEDUPE_ACTIONS, resources: [this.dedupeTable.tableArn] }));
    }
    this.deletion.grantSend(this.function);
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
        'Passport authenticates with what auth.modes asks for (an API key header, Basic credentials, a ' +
        'signature over the body), which the function checks before it reads the event: keys in constant ' +
        'time, signatures with pinned algorithms. No API Gateway authorizer can check a signature over the ' +
        'body, and a Lambda authorizer would only move the header checks into a second function with its own ' +
        'cold start.',
    });
    return api;
  }
}

/** Below API Gateway's limit, and with time to answer after the inline deletion. */
function checkTimeouts(timeout: Duration, inlineBudget: Duration): void {
  if (timeout.toMilliseconds() >= API_GATEWAY_TIMEOUT.toMilliseconds()) {
    throw new Error(
      `lambda.timeout must be below API Gateway's ${API_GATEWAY_TIMEOUT.toHumanString()}, got ${timeout.toHumanString()}.`,
    );
  }
  // DELETE_BUDGET_MS is whole milliseconds: toMilliseconds() refuses a fraction.
  if (inlineBudget.toMilliseconds() >= timeout.toMilliseconds()) {
    throw new Error(
      `PassportWebhook deletion.inlineBudget (${inlineBudget.toHumanString()}) must be shorter than lambda.timeout ` +
        `(${timeout.toHumanString()}): the delivery still has to queue the rest and answer.`,
    );
  }
}

/** The window when dedupe is on, undefined when it is off. */
function resolveDedupeWindow(props: WebhookDedupeProps): Duration | undefined {
  if (props.enabled === false) {
    if (props.window) throw new Error('PassportWebhook dedupe.window is set, but dedupe.enabled is false.');
    return undefined;
  }
  const window = props.window ?? Duration.days(7);
  // IDEMPOTENCY_WINDOW_SECONDS is a whole number of seconds: toSeconds() refuses a fraction.
  if (window.toSeconds() < 1) throw new Error('PassportWebhook dedupe.window must be at least 1 second.');
  return window;
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
