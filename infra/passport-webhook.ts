import { Duration, RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, type ITable, Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DeletionTargets, type DeletionTargetProps, type TodoTableProps } from './deletion-targets.ts';
import { createLedgerTable, grantLedgerRecords } from './erasure-ledger.ts';
import {
  checkFusionAuth,
  erasureEnvironment,
  type ErasureProps,
  type FusionAuthProps,
  resolveErasure,
} from './erasure-settings.ts';
import { ErasureWorker, type WebhookDeletionProps } from './erasure-worker.ts';
import { createLambdaFunction, grantSecretRead } from './lambda-function.ts';
import { FUSIONAUTH_API_KEY_PLACEHOLDER } from './names.ts';
import { WebhookApi, type WebhookApiProps } from './webhook-api.ts';
import { type ResolvedAuth, resolveAuth, type WebhookAuthProps } from './webhook-auth.ts';
import { type ReconcileProps, ReconcileSchedule } from './reconcile-schedule.ts';
import { WebhookMonitoring } from './webhook-monitoring.ts';

/** A REST API ends a Lambda integration after 29 seconds, whatever the function is still doing. */
const API_GATEWAY_TIMEOUT = Duration.seconds(29);

export interface WebhookLambdaProps {
  /**
   * Memory in MB. CPU grows with it, so more memory also shortens the cold start Passport waits for.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * How long one delivery may run; must stay below the REST API's 29-second integration limit,
   * and above `deletion.inlineBudget`.
   * @default Duration.seconds(25)
   */
  readonly timeout?: Duration;
}

/** Powertools Logger's levels (POWERTOOLS_LOG_LEVEL). */
export const WEBHOOK_LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;
export type WebhookLogLevel = (typeof WEBHOOK_LOG_LEVELS)[number];

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
  readonly logLevel?: WebhookLogLevel;
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
  /**
   * Map stack traces back to the TypeScript sources (NODE_OPTIONS=--enable-source-maps). The maps
   * are in the bundles either way; reading them at every cold start costs about a tenth of the
   * function's init (bench/README.md), so they are off unless you are chasing an error.
   * @default false
   */
  readonly sourceMaps?: boolean;
}

export interface PassportWebhookProps {
  /**
   * One Todo table keyed by the user id: the shorthand of `targets`, and exclusive with it.
   * @default - a new table keyed `userId` / `todoId`, unless `targets` is set
   */
  readonly todoTable?: TodoTableProps;
  /**
   * Where the Todos of a user are, in tables of any layout (DELETION_TARGETS); exclusive with
   * `todoTable`. A target on a table of the same app is checked at synth as the function checks
   * it at start: its index exists, it can Query rather than Scan, its key templates fit the keys.
   * @default - the `todoTable` shorthand
   */
  readonly targets?: readonly DeletionTargetProps[];
  /**
   * The FusionAuth application whose registrations own Todos: a `user.registration.delete` for it
   * erases that user's Todos (of the targets `on` 'registration').
   * @default - registration deletions are ignored; only a user's deletion erases Todos
   */
  readonly todoApplicationId?: string;
  /** @default - an API key in the Authorization header, generated into a new secret */
  readonly auth?: WebhookAuthProps;
  /** @default - a first look 10 seconds after a request, a 1-hour window, receipts kept a year */
  readonly erasure?: ErasureProps;
  /**
   * FusionAuth's API, for the worker to confirm a deletion whose `.complete` event did not come.
   * @default - only `.complete` events confirm; a request without one ends unconfirmed
   */
  readonly fusionAuth?: FusionAuthProps;
  /** @default - 1 second inline per delivery, then a queue and a worker with a 5-minute timeout */
  readonly deletion?: WebhookDeletionProps;
  /**
   * A scheduled reconcile: the worker scans the targets for users FusionAuth no longer has (deleted
   * while the webhook never heard) and erases them, unless too many are missing (docs/reconcile.md).
   * Needs `fusionAuth`.
   * @default - off; `npm run reconcile` does the same by hand
   */
  readonly reconcile?: ReconcileProps;
  /**
   * The webhook function's memory and timeout.
   * @default - 512 MB and 25 seconds (each field's own default)
   */
  readonly lambda?: WebhookLambdaProps;
  /**
   * The REST API in front of the function and its edge: the stage throttle, the AWS WAF rules and
   * FusionAuth's egress addresses (docs/flood-defence.md).
   * @default - WAF on with a per-source limit of 15,000 requests per 10 minutes, any source, a stage of 500 requests a second, burst 1,000
   */
  readonly api?: WebhookApiProps;
  /**
   * Logs, metrics, alarms and the dashboard.
   * @default - each field's own default: service `passport-webhook`, namespace `PassportWebhook`, `INFO`, logs kept a month, no alarm topic, no source maps
   */
  readonly observability?: WebhookObservabilityProps;
}

/**
 * The Passport (FusionAuth) webhook: a REST API route `POST /passport-webhook` in front of a
 * Lambda function that erases a user's Todos from DynamoDB once FusionAuth has committed the
 * user's deletion (or of their registration to the Todo application). Each request must pass
 * the auth modes configured. `user.delete` arrives inside FusionAuth's transaction, so it only
 * records an erasure request in a ledger; the `.complete` event, or the worker asking FusionAuth's
 * API, confirms it; the erasure runs inline within a budget and goes on in a worker behind a
 * queue. Each function may make the calls its code makes on these resources, nothing else.
 */
export class PassportWebhook extends Construct {
  /** The shorthand's table (`todoTable`), given or created; undefined with `targets`. */
  readonly todoTable?: ITable;
  /** Every table the targets erase from, each once. */
  readonly todoTables: readonly ITable[];
  /** One record per user and scope: open requests, and the receipts of finished erasures. */
  readonly ledgerTable: Table;
  /** The API keys, when `api-key` is on. */
  readonly apiKeySecret?: ISecret;
  /** The HMAC secret of the Key Master signing key, when signatures may use HMAC. */
  readonly signingKeySecret?: ISecret;
  /** The Basic credentials, when `basic` is on. */
  readonly basicAuthSecret?: ISecret;
  /** The key the worker asks FusionAuth's API with, when `fusionAuth` is set. */
  readonly fusionAuthApiKeySecret?: ISecret;
  /** The job queue, dead-letter queue, worker and sweep schedule that carry erasures on. */
  readonly erasureWorker: ErasureWorker;
  /** The reconcile's schedule and run table, when `reconcile` is set. */
  readonly reconcile?: ReconcileSchedule;
  readonly function: LambdaFunction;
  /** The REST API, its stage, WAF web ACL and access logs. */
  readonly api: WebhookApi;
  /** The URL to enter in Passport, stage and path included. */
  readonly webhookUrl: string;
  readonly monitoring: WebhookMonitoring;

  constructor(scope: Construct, id: string, props: PassportWebhookProps = {}) {
    super(scope, id);
    // Settings that cannot work fail here, each with its own message, rather than in CloudFormation
    // or at the functions' first cold start (the worker checks its own).
    const auth = resolveAuth(props.auth ?? {});
    const erasure = resolveErasure(props.erasure ?? {});
    const timeout = props.lambda?.timeout ?? Duration.seconds(25);
    const { inlineBudget = Duration.seconds(1), ...workerSettings } = props.deletion ?? {};
    checkTimeouts(timeout, inlineBudget);
    if (props.fusionAuth) checkFusionAuth(props.fusionAuth);
    if (props.reconcile && !props.fusionAuth) {
      throw new Error('PassportWebhook reconcile needs fusionAuth: a reconcile asks FusionAuth\'s API which users still exist.');
    }

    const observability = props.observability ?? {};
    const serviceName = observability.serviceName ?? 'passport-webhook';
    const metricsNamespace = observability.metricsNamespace ?? 'PassportWebhook';
    const logRetention = observability.logRetention ?? RetentionDays.ONE_MONTH;

    const targets = this.resolveTargets(props);
    this.todoTables = targets.tables;
    this.todoTable = props.targets ? undefined : targets.tables[0];
    this.ledgerTable = createLedgerTable(this, 'ErasureLedger');
    this.apiKeySecret = auth.apiKey && (auth.apiKey.secret ?? this.createApiKeySecret(auth.apiKey.header));
    this.signingKeySecret = auth.signature?.hmac ? (auth.signature.hmacSecret ?? this.createSigningKeySecret()) : undefined;
    this.basicAuthSecret = auth.basicAuthSecret;
    this.fusionAuthApiKeySecret = props.fusionAuth && (props.fusionAuth.apiKeySecret ?? this.createFusionAuthApiKeySecret());

    // What both functions read alike, so that the webhook and the worker run the same erasures.
    const shared: Record<string, string> = {
      ...targets.environment,
      ERASURE_LEDGER_TABLE_NAME: this.ledgerTable.tableName,
      TODO_APPLICATION_ID: props.todoApplicationId ?? '',
      ...erasureEnvironment(erasure),
      ...this.fusionAuthEnvironment(props.fusionAuth),
      SECRET_CACHE_SECONDS: String(auth.secretMaxAgeSeconds),
      POWERTOOLS_SERVICE_NAME: serviceName,
      POWERTOOLS_METRICS_NAMESPACE: metricsNamespace,
      POWERTOOLS_LOG_LEVEL: observability.logLevel ?? 'INFO',
      ...(observability.sourceMaps && { NODE_OPTIONS: '--enable-source-maps' }),
      AWS_ENDPOINT_URL_DYNAMODB: '', // declared for sam local; empty: the regional endpoint
    };
    this.erasureWorker = new ErasureWorker(this, 'ErasureWorker', {
      ...workerSettings,
      targets,
      ledgerTable: this.ledgerTable,
      fusionAuthApiKeySecret: this.fusionAuthApiKeySecret,
      environment: shared,
      indexSettle: erasure.indexSettle,
      logRetention,
    });
    this.reconcile = props.reconcile && new ReconcileSchedule(this, 'Reconcile', {
      ...props.reconcile,
      worker: this.erasureWorker.worker,
      queue: this.erasureWorker.queue,
      targets,
    });
    this.function = createLambdaFunction(this, 'Function', {
      code: 'webhook',
      description: 'Records, confirms and erases a user\'s Todos when Passport reports the user or their registration deleted',
      roleDescription: 'passport-webhook function: its own log group, the Todo tables, the erasure ledger, its secrets and queue',
      memorySize: props.lambda?.memorySize ?? 512,
      timeout,
      logRetention,
      environment: {
        ...shared,
        ...this.authEnvironment(auth),
        DELETION_QUEUE_URL: this.erasureWorker.queue.queueUrl,
        DELETE_BUDGET_MS: String(inlineBudget.toMilliseconds()),
        // The webhook's alone: only a delivery can erase before FusionAuth's commit.
        ERASE_BEFORE_COMMIT: String(erasure.eraseBeforeCommit),
      },
    });
    this.grantHandlerCalls(targets);
    this.api = new WebhookApi(this, 'Api', { ...props.api, handler: this.function, logRetention, metricsNamespace });
    this.webhookUrl = this.api.url;
    this.monitoring = new WebhookMonitoring(this, 'Monitoring', {
      function: this.function,
      api: this.api,
      erasureWorker: this.erasureWorker,
      confirmWindow: Duration.seconds(erasure.confirmWindowSeconds),
      fusionAuthApi: props.fusionAuth !== undefined,
      reconcile: this.reconcile !== undefined,
      metricsNamespace,
      serviceName,
      alarmTopic: observability.alarmTopic,
      dashboardName: observability.dashboardName,
    });
  }

  /** The targets, or the shorthand's one table (created when none is given). */
  private resolveTargets(props: PassportWebhookProps): DeletionTargets {
    if (props.targets) {
      if (props.todoTable) {
        throw new Error('PassportWebhook: set targets or todoTable, not both; todoTable is the one-table shorthand of targets.');
      }
      return DeletionTargets.fromTargets(this, props.targets);
    }
    const userIdAttribute = props.todoTable?.userIdAttribute ?? 'userId';
    if (props.todoTable?.table) {
      return DeletionTargets.fromTodoTable(props.todoTable.table, { userIdAttribute, sortKeyAttribute: props.todoTable.sortKeyAttribute });
    }
    const sortKeyAttribute = props.todoTable?.sortKeyAttribute ?? 'todoId';
    return DeletionTargets.fromTodoTable(this.createTodoTable(userIdAttribute, sortKeyAttribute), { userIdAttribute, sortKeyAttribute });
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
      WEBHOOK_API_KEYS: '',
      WEBHOOK_SIGNING_KEYS: '',
      WEBHOOK_BASIC_AUTH: '',
      WEBHOOK_JWKS_FILE: '',
    };
  }

  /**
   * Both functions: the worker asks FusionAuth's API, and the webhook times a request's first look
   * by whether it can (and checks the key is configured), though it never reads the key.
   * FUSIONAUTH_API_KEY is for local runs only.
   */
  private fusionAuthEnvironment(fusionAuth: FusionAuthProps | undefined): Record<string, string> {
    return {
      FUSIONAUTH_URL: fusionAuth?.url ?? '',
      FUSIONAUTH_API_KEY_SECRET_ARN: this.fusionAuthApiKeySecret?.secretArn ?? '',
      FUSIONAUTH_API_KEY: '',
    };
  }

  private createTodoTable(userIdAttribute: string, sortKeyAttribute: string): Table {
    return new Table(this, 'TodoTable', {
      partitionKey: { name: userIdAttribute, type: AttributeType.STRING },
      sortKey: { name: sortKeyAttribute, type: AttributeType.STRING },
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

  /**
   * FusionAuth issues the key, so the stack can only hold a placeholder until `npm run register`
   * (or the stack's put-secret-value command) writes the real one; until then FusionAuth refuses
   * the worker's lookups and the FusionAuthLookupsRefused alarm says so. A later deploy leaves the
   * written value alone: CloudFormation only sets it when the template's value changes.
   */
  private createFusionAuthApiKeySecret(): Secret {
    const secret = new Secret(this, 'FusionAuthApiKeySecret', {
      description: 'A FusionAuth API key allowed GET on /api/user, which the erasure worker confirms deletions with',
      // Not a secret: a marker that no key has been written yet.
      secretStringValue: SecretValue.unsafePlainText(FUSIONAUTH_API_KEY_PLACEHOLDER),
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The key is created in FusionAuth, which a rotation Lambda could only do with a key allowed to manage ' +
        'API keys, far more than the GET on /api/user this one needs. Rotate by hand: create a new key in ' +
        'FusionAuth, write it here, wait SECRET_CACHE_SECONDS, delete the old key.',
    });
    return secret;
  }

  /** Exactly the calls the handler makes, on these resources only. */
  private grantHandlerCalls(targets: DeletionTargets): void {
    targets.grantErasure(this.function);
    grantLedgerRecords(this.function, this.ledgerTable);
    for (const secret of [this.apiKeySecret, this.signingKeySecret, this.basicAuthSecret]) {
      if (secret) grantSecretRead(this.function, secret);
    }
    this.erasureWorker.grantSend(this.function);
  }
}

/** Below API Gateway's limit, and with time to answer after the inline erasure. */
function checkTimeouts(timeout: Duration, inlineBudget: Duration): void {
  if (timeout.toMilliseconds() >= API_GATEWAY_TIMEOUT.toMilliseconds()) {
    throw new Error(
      `lambda.timeout must be below the REST API's ${API_GATEWAY_TIMEOUT.toHumanString()} integration timeout, got ${timeout.toHumanString()}.`,
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
