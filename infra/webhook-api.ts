import { Duration, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  CfnAccount,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  type Method,
  ResponseType,
  RestApi,
  type Stage,
} from 'aws-cdk-lib/aws-apigateway';
import { type IMetric, MathExpression, Metric, type MetricOptions, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import { AnyPrincipal, Effect, ManagedPolicy, PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, LogGroup, MetricFilter, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnIPSet, CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import {
  allowsAnySource,
  EDGE_ANSWERS,
  type EdgeAnswer,
  edgeAnswerBody,
  type EdgePolicy,
  resolveEdgePolicy,
  WEBHOOK_STAGE,
} from './edge-policy.ts';
import { WEBHOOK_PATH } from './names.ts';

/** The WAF rules' names, also their CloudWatch metric names (the `Rule` dimension). */
export const WAF_RULES = { allowedSources: 'AllowedSources', perSource: 'PerSourceRateLimit' } as const;
/** The access-log metric of the stage throttle's 429s (the `ApiId` dimension is the REST API's id). */
export const THROTTLED_METRIC = 'ApiThrottled';

/**
 * The edge in front of the function, sized for FusionAuth's bulk delete of 10,000 users (see
 * infra/edge-policy.ts and docs/flood-defence.md). Strangers and FusionAuth share the stage's
 * throttle, so a flood the edge lets through can make API Gateway answer FusionAuth 429, which
 * rolls back the deletion FusionAuth is sending: `allowedSources` keeps every other source off
 * the throttle; without it, the per-source rule limits how much of it any one source can take.
 */
export interface WebhookApiProps {
  /**
   * Requests per second the stage accepts, on average, before API Gateway answers 429: FusionAuth
   * at its peak (100 a second, one delivery after another) and 16 other sources at the per-source limit.
   * @default 500
   */
  readonly rateLimit?: number;
  /**
   * Requests the stage accepts at once above the rate.
   * @default 1000
   */
  readonly burstLimit?: number;
  /**
   * An AWS WAF web ACL on the stage, with the per-source rule and, with `allowedSources`, the
   * allow-list rule. WAF evaluates before API Gateway's other access controls. Costs a web ACL,
   * a rule or two and every request it sees; without it only the stage throttle (and the resource
   * policy of `allowedSources`) stands in front of the function.
   * @default true
   */
  readonly waf?: boolean;
  /**
   * FusionAuth's egress addresses, IPv4 or IPv6, each an address or a CIDR range: every other
   * source is refused with 403, by the WAF rule (before the throttle) and by the REST API's
   * resource policy. The only setting that keeps a flood from many sources off the throttle.
   * @default - any source may call; only the per-source rule limits them
   */
  readonly allowedSources?: readonly string[];
  /**
   * Requests one source address may send in `perSourceWindow` before WAF answers it 429: a bulk
   * delete of 10,000 users from one FusionAuth address, with the headroom WAF's estimate needs.
   * FusionAuth's own sources count too: several bulk deletes in a row need a window between them,
   * or a higher limit.
   * @default 15000
   */
  readonly perSourceLimit?: number;
  /**
   * How far back WAF counts each source's requests: 1, 2, 5 or 10 minutes.
   * @default Duration.minutes(10)
   */
  readonly perSourceWindow?: Duration;
  /**
   * Set the Region's API Gateway CloudWatch Logs role (an `AWS::ApiGateway::Account` and its role),
   * which REST API access logs need. It is one setting per account and Region: turn this off
   * where another stack (or the console) already sets it.
   * @default true
   */
  readonly accountLoggingRole?: boolean;
}

export interface WebhookApiConstructProps extends WebhookApiProps {
  /** The function `POST /passport-webhook` invokes, with a payload 1.0 (REST API proxy) event. */
  readonly handler: IFunction;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /**
   * Where the throttled-request metric (from the access logs) is published.
   * @default 'PassportWebhook'
   */
  readonly metricsNamespace?: string;
}

const PERIOD = Duration.minutes(5);

/**
 * The webhook's REST API: `POST /passport-webhook` on a Regional endpoint, proxied to the
 * function; the stage's throttle; an AWS WAF web ACL with a rate-based rule per source address
 * and, given FusionAuth's egress addresses, an allow-list rule; the same allow-list as a resource
 * policy; access logs; and answers of its own (Passport's error shape) for each refusal, so
 * FusionAuth's webhook event log says which part of the edge refused a delivery.
 */
export class WebhookApi extends Construct {
  /** The edge as deployed; `npm start` emulates the same policy. */
  readonly policy: EdgePolicy;
  readonly restApi: RestApi;
  readonly stage: Stage;
  /** The URL to enter in FusionAuth, stage and path included. */
  readonly url: string;
  readonly accessLogs: LogGroup;
  /** With `waf`. */
  readonly webAcl?: CfnWebACL;
  readonly #metricsNamespace: string;

  constructor(scope: Construct, id: string, props: WebhookApiConstructProps) {
    super(scope, id);
    const window = props.perSourceWindow;
    if (window !== undefined && window.toSeconds({ integral: false }) % 1 !== 0) {
      throw new Error(`api.perSourceWindow must be whole seconds, got ${window.toHumanString()}.`);
    }
    this.policy = resolveEdgePolicy({
      waf: props.waf,
      allowedSources: props.allowedSources,
      perSourceLimit: props.perSourceLimit,
      perSourceWindowSeconds: window?.toSeconds(),
      rateLimit: props.rateLimit,
      burstLimit: props.burstLimit,
    });
    this.#metricsNamespace = props.metricsNamespace ?? 'PassportWebhook';
    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention ?? RetentionDays.ONE_MONTH });
    const accountLoggingRole = props.accountLoggingRole ?? true;

    this.restApi = new RestApi(this, 'RestApi', {
      // API Gateway's metrics name the API by its name: one of its own, apart from other APIs of the account.
      restApiName: Names.uniqueResourceName(this, { maxLength: 128, separator: '-' }),
      description: 'Receives Passport (FusionAuth) webhook events',
      endpointTypes: [EndpointType.REGIONAL],
      policy: this.resourcePolicy(),
      // One per stack, however many webhooks it holds (accountLoggingRole below).
      cloudWatchRole: false,
      deployOptions: {
        stageName: WEBHOOK_STAGE,
        throttlingRateLimit: this.policy.rateLimit,
        throttlingBurstLimit: this.policy.burstLimit,
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        accessLogFormat: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    this.stage = this.restApi.deploymentStage;
    // The stage's access logs need the Region's logging role set first.
    if (accountLoggingRole) this.stage.node.addDependency(apiGatewayAccountLoggingRole(this));
    const method = this.restApi.root
      .addResource(WEBHOOK_PATH.slice(1))
      .addMethod('POST', new LambdaIntegration(props.handler, { allowTestInvoke: false }));
    this.addGatewayResponses();
    this.url = this.restApi.urlForPath(WEBHOOK_PATH);
    // RestApi adds an output of the stage's URL; the stack outputs the webhook's (WebhookUrl) instead.
    this.restApi.node.tryRemoveChild('Endpoint');
    if (this.policy.waf) this.webAcl = this.createWebAcl();
    new MetricFilter(this, 'ThrottledMetric', {
      logGroup: this.accessLogs,
      filterPattern: FilterPattern.stringValue('$.responseType', '=', 'THROTTLED'),
      metricNamespace: this.#metricsNamespace,
      metricName: THROTTLED_METRIC,
      metricValue: '1',
      dimensions: { ApiId: '$.apiId' },
    });
    this.acknowledgeFindings(method);
  }

  /** 5xx answers: the function failed, timed out or could not be invoked. */
  metricServerError(props?: MetricOptions): IMetric {
    return this.stage.metricServerError({ period: PERIOD, statistic: Stats.SUM, ...props });
  }

  /** 4xx answers, the edge's refusals included. */
  metricClientError(props?: MetricOptions): IMetric {
    return this.stage.metricClientError({ period: PERIOD, statistic: Stats.SUM, ...props });
  }

  metricCount(props?: MetricOptions): IMetric {
    return this.stage.metricCount({ period: PERIOD, statistic: Stats.SUM, ...props });
  }

  /** The share of answers that were 4xx, in percent; 0 while fewer than `minRequests` came in a period. */
  metricClientErrorRate(minRequests: number): IMetric {
    return new MathExpression({
      expression: `IF(requests >= ${minRequests}, 100 * errors / requests, 0)`,
      usingMetrics: { errors: this.metricClientError(), requests: this.metricCount() },
      label: '4xx answers (%)',
      period: PERIOD,
    });
  }

  /** 429s of the stage throttle ([throttled]), counted from the access logs. */
  metricThrottled(props?: MetricOptions): IMetric {
    return new Metric({
      namespace: this.#metricsNamespace,
      metricName: THROTTLED_METRIC,
      dimensionsMap: { ApiId: this.restApi.restApiId },
      period: PERIOD,
      statistic: Stats.SUM,
      ...props,
    });
  }

  /** 429s of WAF's per-source rule ([rateLimited]); undefined without `waf`. */
  metricRateLimited(props?: MetricOptions): IMetric | undefined {
    return this.webAcl && this.wafBlocked(WAF_RULES.perSource, props);
  }

  /** 403s of WAF's allow-list rule ([sourceNotAllowed]); undefined without `waf` and `allowedSources`. */
  metricSourceNotAllowed(props?: MetricOptions): IMetric | undefined {
    if (!this.webAcl || allowsAnySource(this.policy)) return undefined;
    return this.wafBlocked(WAF_RULES.allowedSources, props);
  }

  private wafBlocked(rule: string, props?: MetricOptions): IMetric {
    return new Metric({
      namespace: 'AWS/WAFV2',
      metricName: 'BlockedRequests',
      dimensionsMap: { WebACL: this.webAcl!.name!, Rule: rule, Region: Stack.of(this).region },
      period: PERIOD,
      statistic: Stats.SUM,
      ...props,
    });
  }

  /** Only the allowed sources may invoke the API; none given, no policy (any source). */
  private resourcePolicy(): PolicyDocument | undefined {
    if (allowsAnySource(this.policy)) return undefined;
    const { ipv4, ipv6 } = this.policy.allowedSources;
    return new PolicyDocument({
      statements: [
        new PolicyStatement({
          effect: Effect.ALLOW,
          principals: [new AnyPrincipal()],
          actions: ['execute-api:Invoke'],
          resources: ['execute-api:/*'],
          conditions: { IpAddress: { 'aws:SourceIp': [...ipv4, ...ipv6] } },
        }),
      ],
    });
  }

  /**
   * API Gateway's own answers in Passport's error shape, each naming what refused the request. The
   * WAF rules answer with custom responses of their own, which take precedence over these.
   */
  private addGatewayResponses(): void {
    const responses: [string, ResponseType, EdgeAnswer][] = [
      ['Throttled', ResponseType.THROTTLED, EDGE_ANSWERS.throttled],
      ['AccessDenied', ResponseType.ACCESS_DENIED, EDGE_ANSWERS.policyDenied],
      ['NoRoute', ResponseType.MISSING_AUTHENTICATION_TOKEN, EDGE_ANSWERS.noRoute],
    ];
    for (const [id, type, answer] of responses) {
      this.restApi.addGatewayResponse(id, {
        type,
        statusCode: String(answer.statusCode),
        templates: { 'application/json': edgeAnswerBody(answer) },
      });
    }
  }

  private createWebAcl(): CfnWebACL {
    const { ipv4, ipv6 } = this.policy.allowedSources;
    const ipSets = [
      ...(ipv4.length ? [this.ipSet('AllowedSourcesIpv4', 'IPV4', ipv4)] : []),
      ...(ipv6.length ? [this.ipSet('AllowedSourcesIpv6', 'IPV6', ipv6)] : []),
    ];
    const inAllowList = ipSets.map((set) => ({ ipSetReferenceStatement: { arn: set.attrArn } }));
    const name = Names.uniqueResourceName(this, { maxLength: 128, separator: '-' });
    const visibility = (metricName: string) => ({ cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName });
    const block = (statusCode: number, bodyKey: string) => ({
      block: { customResponse: { responseCode: statusCode, customResponseBodyKey: bodyKey } },
    });
    const rules: CfnWebACL.RuleProperty[] = [];
    if (inAllowList.length) {
      rules.push({
        name: WAF_RULES.allowedSources,
        priority: 0,
        statement: { notStatement: { statement: inAllowList.length === 1 ? inAllowList[0]! : { orStatement: { statements: inAllowList } } } },
        action: block(EDGE_ANSWERS.sourceNotAllowed.statusCode, 'sourceNotAllowed'),
        visibilityConfig: visibility(WAF_RULES.allowedSources),
      });
    }
    rules.push({
      name: WAF_RULES.perSource,
      priority: 1,
      statement: {
        rateBasedStatement: {
          aggregateKeyType: 'IP',
          limit: this.policy.perSourceLimit,
          evaluationWindowSec: this.policy.perSourceWindowSeconds,
        },
      },
      action: block(EDGE_ANSWERS.rateLimited.statusCode, 'rateLimited'),
      visibilityConfig: visibility(WAF_RULES.perSource),
    });
    const webAcl = new CfnWebACL(this, 'WebAcl', {
      name,
      // WAF descriptions take letters, digits, spaces and = : # @ / - , . only.
      description: 'Passport webhook - FusionAuth egress addresses only when listed, and a limit per source address',
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      rules,
      customResponseBodies: {
        sourceNotAllowed: { contentType: 'APPLICATION_JSON', content: edgeAnswerBody(EDGE_ANSWERS.sourceNotAllowed) },
        rateLimited: { contentType: 'APPLICATION_JSON', content: edgeAnswerBody(EDGE_ANSWERS.rateLimited) },
      },
      visibilityConfig: visibility('AllowedRequests'),
    });
    new CfnWebACLAssociation(this, 'WebAclAssociation', { resourceArn: this.stage.stageArn, webAclArn: webAcl.attrArn });
    return webAcl;
  }

  private ipSet(id: string, version: 'IPV4' | 'IPV6', addresses: readonly string[]): CfnIPSet {
    return new CfnIPSet(this, id, {
      description: `FusionAuth egress addresses, ${version} - the only sources the webhook answers`,
      scope: 'REGIONAL',
      ipAddressVersion: version,
      addresses: [...addresses],
    });
  }

  private acknowledgeFindings(method: Method): void {
    Validations.of(method).acknowledge(
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'Passport authenticates with what auth.modes asks for (an API key header, Basic credentials, a ' +
          'signature over the body), which the function checks before it reads the event: keys in constant ' +
          'time, signatures with pinned algorithms. No API Gateway authorizer can check a signature over the ' +
          'body, and a Lambda authorizer would only move the header checks into a second function with its own ' +
          'cold start.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason:
          'The caller is FusionAuth, a server that cannot sign in to a Cognito user pool; it authenticates with ' +
          'the credentials of auth.modes, which the function checks (see AwsSolutions-APIG4).',
      },
    );
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        'The function validates every event itself (size, JSON, the fields each event type needs) and answers ' +
        'in the error shape Passport logs; an API Gateway model would answer strangers 400 before the function ' +
        'authenticates them, in another shape, and cannot check the signature over the body.',
    });
    Validations.of(this.stage).acknowledge({
      id: 'AwsSolutions-APIG6',
      reason:
        'The access logs record every request with its status, error, response type, WAF verdict and the ' +
        "function's request id, which the function's own logs carry. Execution logs would go to a log group " +
        'API Gateway creates itself (API-Gateway-Execution-Logs_<api>/<stage>), outside observability.logRetention, ' +
        'and need the account logging role even where api.accountLoggingRole leaves it to another stack.',
    });
    if (!this.policy.waf) {
      Validations.of(this.stage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason:
          'api.waf is false: the stage throttle and, with api.allowedSources, the resource policy are the only ' +
          'edge. A flood can then take the throttle from FusionAuth (docs/flood-defence.md); chosen to save ' +
          "WAF's monthly and per-request cost.",
      });
    }
  }
}

/**
 * The Region's API Gateway CloudWatch Logs role, which REST API access logs need: an
 * `AWS::ApiGateway::Account` (one setting per account and Region, whoever else sets it) and its
 * role, once per stack, kept when the stack is deleted since other APIs of the account may log
 * through it.
 */
function apiGatewayAccountLoggingRole(scope: Construct): CfnAccount {
  const stack = Stack.of(scope);
  const id = 'ApiGatewayAccountLogging';
  const existing = stack.node.tryFindChild(id)?.node.tryFindChild('Account');
  if (existing) return existing as CfnAccount;
  const holder = new Construct(stack, id);
  const role = new Role(holder, 'Role', {
    assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
    description: "API Gateway's CloudWatch Logs role for the account's REST APIs in this Region (set by passport-webhook)",
    managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
  });
  role.applyRemovalPolicy(RemovalPolicy.RETAIN);
  const account = new CfnAccount(holder, 'Account', { cloudWatchRoleArn: role.roleArn });
  account.applyRemovalPolicy(RemovalPolicy.RETAIN);
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    reason:
      "The Region's API Gateway logging role serves every REST API of the account, which may log to any log " +
      "group: AWS's AmazonAPIGatewayPushToCloudWatchLogs is the policy API Gateway documents for it. Set " +
      'api.accountLoggingRole false where the account already has one.',
  });
  return account;
}

/** One JSON object per request: enough to tell which part of the edge answered, and to find the function's invocation. */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTime: '$context.requestTime',
  apiId: '$context.apiId',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  status: '$context.status',
  responseType: '$context.error.responseType',
  error: '$context.error.message',
  waf: '$context.wafResponseCode',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  // For a Lambda integration, the invocation's request id: the function's log lines carry it.
  integrationRequestId: '$context.awsEndpointRequestId',
  integrationError: '$context.integrationErrorMessage',
};
