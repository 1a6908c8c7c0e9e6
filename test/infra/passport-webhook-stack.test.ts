import { readFileSync } from 'node:fs';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { LEDGER_KEYS, LEDGER_TTL_ATTRIBUTE, OPEN_INDEX } from '../../lambda/erasure/ledger-schema.ts';
import { DELIVERY_METRIC_DIMENSIONS, ERASURE_METRIC_DIMENSIONS, RECONCILE_METRICS, type ErasureMetricName } from '../../lambda/metric-schema.ts';
import { EDGE_ANSWERS } from '../../infra/edge-policy.ts';
import { onlyResource, synthesizeApp } from '../support/cdk-app.ts';
import { arn, dashboardOf, idOf, ref, resources, statementsOf, textOf } from './template.ts';

/** The stack as `npx cdk deploy` ships it with no context: every default of the construct. */
let template: Template;
beforeAll(() => {
  ({ template } = synthesizeApp());
});

const webhook = () => resources(template).WebhookFunction!;
const worker = () => resources(template).DeletionWorkerFunction!;
const todoTable = () => idOf(template, 'AWS::DynamoDB::Table', /TodoTable/);
const ledgerTable = () => idOf(template, 'AWS::DynamoDB::Table', /ErasureLedger/);
const queue = () => idOf(template, 'AWS::SQS::Queue', /ErasureWorkerQueue[0-9A-F]{8}$/);
const deadLetterQueue = () => idOf(template, 'AWS::SQS::Queue', /DeadLetterQueue/);
const secret = () => idOf(template, 'AWS::SecretsManager::Secret');
const logGroupOf = (fn: () => { Properties: Record<string, any> }) => fn().Properties.LoggingConfig.LogGroup.Ref as string;

/** Variables the runtime refuses to start with: it names them to say they are no longer read. */
const RETIRED_VARIABLES = ['IDEMPOTENCY_TABLE_NAME', 'IDEMPOTENCY_WINDOW_SECONDS'];

/**
 * Every variable name a function reads: its config modules quote them, lambda/observability.ts
 * reads process.env. The webhook reads lambda/config.ts, which reads the erasure config too.
 */
function variablesTheRuntimeReads(configFiles: readonly string[]): string[] {
  const source = (file: string) => readFileSync(new URL(`../../lambda/${file}`, import.meta.url), 'utf8');
  const quoted = configFiles.flatMap((file) => [...source(file).matchAll(/'([A-Z]+(?:_[A-Z0-9]+)+)'/g)].map(([, name]) => name!));
  const read = [...source('observability.ts').matchAll(/process\.env\.([A-Z_]+)/g)].map(([, name]) => name!);
  return [...new Set([...quoted, ...read])].filter((name) => !RETIRED_VARIABLES.includes(name));
}
const ERASURE_CONFIG = ['erasure/erasure-config.ts', 'targets/target-spec.ts'];

/** Both functions' variables about the Todos, the ledger, erasures and Powertools. */
const sharedVariables = () => ({
  DELETION_TARGETS: '',
  TODO_TABLE_NAME: ref(todoTable()),
  TODO_USER_ID_ATTRIBUTE: 'userId',
  TODO_SORT_KEY_ATTRIBUTE: 'todoId',
  ERASURE_LEDGER_TABLE_NAME: ref(ledgerTable()),
  TODO_APPLICATION_ID: '',
  ERASURE_CONFIRM_DELAY_SECONDS: '10',
  ERASURE_CONFIRM_WINDOW_SECONDS: '3600',
  ERASURE_RETENTION_DAYS: '365',
  ERASURE_SECOND_PASS_SECONDS: '',
  INDEX_SETTLE_MS: '1000',
  FUSIONAUTH_URL: '',
  FUSIONAUTH_API_KEY_SECRET_ARN: '',
  FUSIONAUTH_API_KEY: '',
  SECRET_CACHE_SECONDS: '300',
  DELETION_QUEUE_URL: ref(queue()),
  POWERTOOLS_SERVICE_NAME: 'passport-webhook',
  POWERTOOLS_METRICS_NAMESPACE: 'PassportWebhook',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  AWS_ENDPOINT_URL_DYNAMODB: '',
});

describe('API', () => {
  const restApi = () => idOf(template, 'AWS::ApiGateway::RestApi');
  const stage = () => onlyResource(template, 'AWS::ApiGateway::Stage');

  it('is a Regional REST API with the one method POST /passport-webhook', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] } });
    template.resourceCountIs('AWS::ApiGateway::Resource', 1);
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'passport-webhook', ParentId: { 'Fn::GetAtt': [restApi(), 'RootResourceId'] } });
    template.resourceCountIs('AWS::ApiGateway::Method', 1);
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', AuthorizationType: 'NONE' });
  });

  it('proxies to the function (payload 1.0), which only the method may invoke', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      Integration: {
        Type: 'AWS_PROXY',
        IntegrationHttpMethod: 'POST',
        Uri: { 'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': ['WebhookFunction', 'Arn'] }])] },
      },
    });
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission', { Properties: { Principal: 'apigateway.amazonaws.com' } }));
    expect(permissions).toHaveLength(1);
    expect(JSON.stringify(permissions[0]!.Properties.SourceArn)).toContain('/POST/passport-webhook');
    expect(JSON.stringify(permissions[0]!.Properties.SourceArn)).not.toContain('test-invoke-stage');
  });

  it('throttles its stage as sized for a bulk delete of 10,000 users', () => {
    expect(stage().Properties).toMatchObject({
      StageName: 'prod',
      MethodSettings: [{ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 }],
    });
  });

  it('puts an AWS WAF web ACL on the stage: a per-source rate-based rule of 15,000 requests per 10 minutes, answering 429', () => {
    const acl = onlyResource(template, 'AWS::WAFv2::WebACL').Properties;
    expect(acl).toMatchObject({ Scope: 'REGIONAL', DefaultAction: { Allow: {} } });
    expect(acl.Rules).toEqual([
      {
        Name: 'PerSourceRateLimit',
        Priority: 1,
        Statement: { RateBasedStatement: { AggregateKeyType: 'IP', Limit: 15000, EvaluationWindowSec: 600 } },
        Action: { Block: { CustomResponse: { ResponseCode: 429, CustomResponseBodyKey: 'rateLimited' } } },
        VisibilityConfig: { CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true, MetricName: 'PerSourceRateLimit' },
      },
    ]);
    expect(JSON.parse(acl.CustomResponseBodies.rateLimited.Content)).toEqual({ errors: [{ code: '[rateLimited]', message: EDGE_ANSWERS.rateLimited.message }] });
    const association = onlyResource(template, 'AWS::WAFv2::WebACLAssociation').Properties;
    expect(association.WebACLArn).toEqual(arn(idOf(template, 'AWS::WAFv2::WebACL')));
    expect(textOf(association.ResourceArn)).toBe(`arn:<AWS::Partition>:apigateway:<AWS::Region>::/restapis/<${restApi()}>/stages/<${idOf(template, 'AWS::ApiGateway::Stage')}>`);
    // Any source may call: no allow-list, no resource policy.
    template.resourceCountIs('AWS::WAFv2::IPSet', 0);
    expect(resources(template)[restApi()]!.Properties.Policy).toBeUndefined();
  });

  it.each([
    ['THROTTLED', '429', EDGE_ANSWERS.throttled],
    ['ACCESS_DENIED', '403', EDGE_ANSWERS.policyDenied],
    ['MISSING_AUTHENTICATION_TOKEN', '404', EDGE_ANSWERS.noRoute],
  ])('answers %s itself with %s in Passport\'s error shape, as npm start does', (type, status, answer) => {
    const [response] = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse', { Properties: { ResponseType: type } }));
    expect(response!.Properties.StatusCode).toBe(status);
    expect(JSON.parse(response!.Properties.ResponseTemplates['application/json'])).toEqual({ errors: [{ code: answer.code, message: answer.message }] });
  });

  it('writes JSON access logs, saying which part of the edge answered, to a log group that expires them', () => {
    const { AccessLogSetting } = stage().Properties;
    const fields = JSON.parse(AccessLogSetting.Format);
    expect(fields).toMatchObject({
      requestId: '$context.requestId',
      apiId: '$context.apiId',
      sourceIp: '$context.identity.sourceIp',
      status: '$context.status',
      responseType: '$context.error.responseType',
      waf: '$context.wafResponseCode',
      integrationRequestId: '$context.awsEndpointRequestId',
      integrationError: '$context.integrationErrorMessage',
    });
    const logGroupId = textOf(AccessLogSetting.DestinationArn).match(/log-group:<(\w+)>$/)![1]!;
    expect(resources(template)[logGroupId]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } });
    // The stage throttle's 429s become a metric of their own, per API.
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: ref(logGroupId),
      FilterPattern: '{ $.responseType = "THROTTLED" }',
      MetricTransformations: [{ MetricNamespace: 'PassportWebhook', MetricName: 'ApiThrottled', MetricValue: '1', Dimensions: [{ Key: 'ApiId', Value: '$.apiId' }] }],
    });
  });

  it("sets the Region's API Gateway logging role, which REST API access logs need", () => {
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
    const account = idOf(template, 'AWS::ApiGateway::Account');
    expect(resources(template)[account]!.Properties).toEqual({ CloudWatchRoleArn: arn(idOf(template, 'AWS::IAM::Role', /^ApiGatewayAccountLogging/)) });
    // The stage, whose access logs need it, is created after it.
    expect(stage().DependsOn).toContain(account);
  });
});

describe('functions', () => {
  it('have the logical ids `sam local invoke` and env.local.json name', () => {
    expect(Object.keys(template.findResources('AWS::Lambda::Function')).sort()).toEqual(['DeletionWorkerFunction', 'WebhookFunction']);
  });

  it.each([
    ['webhook', webhook],
    ['worker', worker],
  ])('run the bundled %s on Node.js 24, arm64, logging to their own log group with a retention', (_, fn) => {
    expect(fn().Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler' });
    expect(resources(template)[logGroupOf(fn)]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } });
    template.resourceCountIs('Custom::LogRetention', 0);
  });

  it('have a log group each', () => {
    expect(logGroupOf(webhook)).not.toBe(logGroupOf(worker));
  });

  it('declare no variable of the retired dedupe, which the runtime refuses to start with', () => {
    for (const fn of [webhook, worker]) {
      expect(Object.keys(fn().Properties.Environment.Variables).filter((name) => name.startsWith('IDEMPOTENCY_'))).toEqual([]);
    }
  });
});

describe('webhook function', () => {
  it('times out before API Gateway does, with 512 MB by default', () => {
    expect(webhook().Properties.Timeout).toBeLessThan(30);
    expect(webhook().Properties.MemorySize).toBe(512);
  });

  it('gets the environment the handler reads: the Todo table, the ledger, API key auth, the queue, the 1-second budget', () => {
    expect(webhook().Properties.Environment.Variables).toEqual({
      ...sharedVariables(),
      WEBHOOK_AUTH: 'api-key',
      WEBHOOK_API_KEY_HEADER: 'Authorization',
      API_KEY_SECRET_ARN: ref(secret()),
      SIGNING_KEY_SECRET_ARN: '',
      WEBHOOK_JWKS_URL: '',
      WEBHOOK_SIGNATURE_ALGORITHMS: '',
      BASIC_AUTH_SECRET_ARN: '',
      WEBHOOK_API_KEYS: '',
      WEBHOOK_SIGNING_KEYS: '',
      WEBHOOK_BASIC_AUTH: '',
      WEBHOOK_JWKS_FILE: '',
      DELETE_BUDGET_MS: '1000',
      ERASE_BEFORE_COMMIT: 'false',
    });
  });

  it('declares every variable the runtime reads but the dead-letter queue, so that sam local --env-vars can set any of them', () => {
    const names = variablesTheRuntimeReads(['config.ts', ...ERASURE_CONFIG]).filter((name) => name !== 'DEAD_LETTER_QUEUE_URL');
    expect(names).toEqual(expect.arrayContaining(['WEBHOOK_AUTH', 'WEBHOOK_SIGNING_KEYS', 'ERASURE_LEDGER_TABLE_NAME', 'DELETION_TARGETS', 'DELETE_BUDGET_MS']));
    expect(Object.keys(webhook().Properties.Environment.Variables)).toEqual(expect.arrayContaining(names));
  });
});

describe('erasure worker', () => {
  it('runs lambda/worker-lambda.ts for 5 minutes with 512 MB', () => {
    expect(worker().Properties).toMatchObject({ Timeout: 300, MemorySize: 512 });
  });

  it('gets the targets, the ledger, both queues and the Powertools settings, and no auth setting', () => {
    expect(worker().Properties.Environment.Variables).toEqual({
      ...sharedVariables(),
      DEAD_LETTER_QUEUE_URL: ref(deadLetterQueue()),
    });
  });

  it('declares every variable of an erasure it reads, so that sam local --env-vars can set any of them', () => {
    // The budget and erasing before the commit are a delivery's; the worker never reads them.
    const names = variablesTheRuntimeReads(ERASURE_CONFIG).filter((name) => !['DELETE_BUDGET_MS', 'ERASE_BEFORE_COMMIT'].includes(name));
    expect(names).toEqual(expect.arrayContaining(['FUSIONAUTH_URL', 'DEAD_LETTER_QUEUE_URL', 'ERASURE_CONFIRM_WINDOW_SECONDS']));
    expect(Object.keys(worker().Properties.Environment.Variables)).toEqual(expect.arrayContaining(names));
  });

  it('takes batches of 10 jobs from the queue, at most two invocations at once, reporting failed jobs back', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: arn(queue()),
      FunctionName: ref('DeletionWorkerFunction'),
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    // Maximum concurrency on the event source, not reserved concurrency, which makes SQS messages bounce.
    expect(worker().Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('starts polling only once its role may receive: the function waits for its policy', () => {
    const [policyId] = Object.keys(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [ref(worker().Properties.Role['Fn::GetAtt'][0])] } }));
    expect(worker().DependsOn).toContain(policyId);
  });
});

describe('sweep schedule', () => {
  it('sends {"kind":"sweep"} to the job queue every 5 minutes, with a role of its own', () => {
    const { Properties } = onlyResource(template, 'AWS::Scheduler::Schedule');
    expect(Properties).toMatchObject({
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: arn(queue()), RoleArn: arn(idOf(template, 'AWS::IAM::Role', /SweepScheduleRole/)) },
    });
    expect(JSON.parse(Properties.Target.Input)).toEqual({ kind: 'sweep' });
    // A sweep that could not be sent within 5 minutes is replaced by the next one.
    expect(Properties.Target.RetryPolicy.MaximumEventAgeInSeconds).toBe(300);
  });

  it('is assumed by EventBridge Scheduler of this account alone, and may only send to the job queue', () => {
    const roleId = idOf(template, 'AWS::IAM::Role', /SweepScheduleRole/);
    expect(resources(template)[roleId]!.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: {
          StringEquals: {
            'aws:SourceAccount': { Ref: 'AWS::AccountId' },
            'aws:SourceArn': {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':schedule-group/default']],
            },
          },
        },
      },
    ]);
    const [policy] = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [ref(roleId)] } }));
    expect(policy!.Properties.PolicyDocument.Statement).toEqual([{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arn(queue()) }]);
  });
});

describe('Todo table', () => {
  it('is keyed userId / todoId, on demand, with point-in-time recovery', () => {
    expect(resources(template)[todoTable()]!.Properties).toMatchObject({
      KeySchema: [
        { AttributeName: 'userId', KeyType: 'HASH' },
        { AttributeName: 'todoId', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('survives a stack deletion and a console click', () => {
    expect(resources(template)[todoTable()]).toMatchObject({
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: { DeletionProtectionEnabled: true },
    });
  });
});

describe('erasure ledger', () => {
  it('is keyed by user and scope, with TTL on expiresAt and the open requests indexed by state and age', () => {
    expect(resources(template)[ledgerTable()]!.Properties).toEqual({
      KeySchema: [
        { AttributeName: 'userId', KeyType: 'HASH' },
        { AttributeName: 'scope', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'userId', AttributeType: 'S' },
        { AttributeName: 'scope', AttributeType: 'S' },
        { AttributeName: 'openState', AttributeType: 'S' },
        { AttributeName: 'requestedAt', AttributeType: 'N' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byOpenState',
          KeySchema: [
            { AttributeName: 'openState', KeyType: 'HASH' },
            { AttributeName: 'requestedAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
    });
  });

  it('has the shape lambda/erasure/ledger-schema.ts gives it', () => {
    const { KeySchema, GlobalSecondaryIndexes, TimeToLiveSpecification } = resources(template)[ledgerTable()]!.Properties;
    expect(KeySchema.map(({ AttributeName }: { AttributeName: string }) => AttributeName)).toEqual([LEDGER_KEYS.partition, LEDGER_KEYS.sort]);
    expect(GlobalSecondaryIndexes[0]).toMatchObject({
      IndexName: OPEN_INDEX.name,
      KeySchema: [{ AttributeName: OPEN_INDEX.partition }, { AttributeName: OPEN_INDEX.sort }],
    });
    expect(TimeToLiveSpecification.AttributeName).toBe(LEDGER_TTL_ATTRIBUTE);
  });

  it('is the receipt that erasures happened: it survives a stack deletion and a console click', () => {
    expect(resources(template)[ledgerTable()]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});

describe('least privilege', () => {
  const ledgerIndex = () => ({ 'Fn::Join': ['', [arn(ledgerTable()), '/index/byOpenState']] });

  it('lets the webhook write its logs, erase Todos, keep ledger records, read its secret and queue jobs; nothing else', () => {
    expect(statementsOf(template, 'WebhookFunction')).toEqual([
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: arn(logGroupOf(webhook)) },
      { Effect: 'Allow', Action: ['dynamodb:BatchWriteItem', 'dynamodb:DescribeTable', 'dynamodb:Query'], Resource: arn(todoTable()) },
      { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: arn(ledgerTable()) },
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: ref(secret()) },
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arn(queue()) },
    ]);
  });

  it('lets the worker write its logs, erase Todos, keep ledger records, sweep the open ones, and send and consume jobs; nothing else', () => {
    expect(statementsOf(template, 'DeletionWorkerFunction')).toEqual([
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: arn(logGroupOf(worker)) },
      { Effect: 'Allow', Action: ['dynamodb:BatchWriteItem', 'dynamodb:DescribeTable', 'dynamodb:Query'], Resource: arn(todoTable()) },
      { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: arn(ledgerTable()) },
      { Effect: 'Allow', Action: 'dynamodb:Query', Resource: ledgerIndex() },
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: [arn(deadLetterQueue()), arn(queue())] },
      {
        Effect: 'Allow',
        Action: ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'],
        Resource: arn(queue()),
      },
    ]);
  });

  it('uses no managed policy and no wildcard, but in the account-wide API Gateway logging role', () => {
    const { [idOf(template, 'AWS::IAM::Role', /^ApiGatewayAccountLogging/)]: logging, ...others } = template.findResources('AWS::IAM::Role');
    expect(logging!.Properties).toMatchObject({
      AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'apigateway.amazonaws.com' } }] },
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs']] }],
    });
    const roles = Object.values(others);
    expect(roles).toHaveLength(3);
    for (const role of roles) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties.Policies).toBeUndefined();
    }
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      expect(JSON.stringify(policy.Properties.PolicyDocument)).not.toContain('*');
    }
  });
});

describe('API key secret', () => {
  it('holds a generated key of letters and digits, which a header and a comma-separated list both take', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true, IncludeSpace: false },
    });
  });
});

describe('observability', () => {
  const alarms = (Namespace: string, MetricName: string, dimensions: object[]) =>
    Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace, MetricName, Dimensions: dimensions } }));
  const onAny = { Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' };
  const service = { Name: 'service', Value: 'passport-webhook' };
  const apiDimensions = () => [
    { Name: 'ApiName', Value: onlyResource(template, 'AWS::ApiGateway::RestApi').Properties.Name },
    { Name: 'Stage', Value: ref(idOf(template, 'AWS::ApiGateway::Stage')) },
  ];
  const wafDimensions = (rule: string) => [
    { Name: 'Region', Value: { Ref: 'AWS::Region' } },
    { Name: 'Rule', Value: rule },
    { Name: 'WebACL', Value: onlyResource(template, 'AWS::WAFv2::WebACL').Properties.Name },
  ];

  it.each([
    ['webhook errors', 'AWS/Lambda', 'Errors', 'Sum', [{ Name: 'FunctionName', Value: ref('WebhookFunction') }]],
    ['webhook throttles', 'AWS/Lambda', 'Throttles', 'Sum', [{ Name: 'FunctionName', Value: ref('WebhookFunction') }]],
    ['API 5xx answers', 'AWS/ApiGateway', '5XXError', 'Sum', () => apiDimensions()],
    ["API stage throttle's 429s", 'PassportWebhook', 'ApiThrottled', 'Sum', () => [{ Name: 'ApiId', Value: ref(idOf(template, 'AWS::ApiGateway::RestApi')) }]],
    ["WAF's per-source 429s", 'AWS/WAFV2', 'BlockedRequests', 'Sum', () => wafDimensions('PerSourceRateLimit')],
    ['worker errors', 'AWS/Lambda', 'Errors', 'Sum', [{ Name: 'FunctionName', Value: ref('DeletionWorkerFunction') }]],
    [
      'job in the dead-letter queue',
      'AWS/SQS',
      'ApproximateNumberOfMessagesVisible',
      'Maximum',
      [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetterQueue'), 'QueueName'] } }],
    ],
  ] as [string, string, string, string, object[] | (() => object[])][])('alarms on any %s', (_, namespace, metricName, statistic, dimensions) => {
    const found = alarms(namespace, metricName, typeof dimensions === 'function' ? dimensions() : dimensions);
    expect(found).toHaveLength(1);
    expect(found[0]!.Properties).toMatchObject({ Statistic: statistic, ...onAny });
    expect(found[0]!.Properties.AlarmActions).toBeUndefined();
  });

  it.each([
    ['ErasuresUnconfirmed', 'scope'],
    ['ErasureJobsDeadLettered', 'kind'],
  ])('alarms on any %s, summed over every %s', (metricName, dimension) => {
    const found = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((alarm) =>
      JSON.stringify(alarm.Properties.Metrics ?? []).includes(`SUM(${metricName})`),
    );
    expect(found).toHaveLength(1);
    expect(found[0]!.Properties).toMatchObject(onAny);
    expect(found[0]!.Properties.Metrics).toEqual([
      {
        Id: 'expr_1',
        Label: metricName,
        Expression: `SELECT SUM(${metricName}) FROM SCHEMA("PassportWebhook", ${dimension}, service) WHERE service = 'passport-webhook'`,
        Period: 300,
        ReturnData: true,
      },
    ]);
  });

  it('alarms on any unconfirmed erasure left open, and on a request older than its window and a last look', () => {
    const gauge = { Statistic: 'Maximum', EvaluationPeriods: 1, TreatMissingData: 'ignore' };
    const [open] = alarms('PassportWebhook', 'OpenErasures', [service, { Name: 'state', Value: 'unconfirmed' }]);
    expect(open!.Properties).toMatchObject({ ...gauge, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    const [oldest] = alarms('PassportWebhook', 'OldestOpenErasureAge', [service, { Name: 'state', Value: 'requested' }]);
    expect(oldest!.Properties).toMatchObject({ ...gauge, Threshold: 3600 + 900, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('alarms when 10% or more of at least 20 answers in 5 minutes are 4xx', () => {
    const [alarm] = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((found) =>
      JSON.stringify(found.Properties.Metrics ?? []).includes('4XXError'),
    );
    expect(alarm!.Properties).toMatchObject({ Threshold: 10, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' });
    const metrics = alarm!.Properties.Metrics as { Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string; Dimensions: unknown } } }[];
    expect(metrics.find((metric) => metric.Expression)!.Expression).toBe('IF(requests >= 20, 100 * errors / requests, 0)');
    expect(metrics.filter((metric) => metric.MetricStat).map(({ Id, MetricStat }) => [Id, MetricStat!.Metric.MetricName, MetricStat!.Metric.Dimensions])).toEqual([
      ['errors', '4XXError', apiDimensions()],
      ['requests', 'Count', apiDimensions()],
    ]);
  });

  it('alarms on any FusionAuth lookup refused, when the worker asks FusionAuth\'s API, and only then', () => {
    const refused = (found: Template) =>
      Object.values(found.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'PassportWebhook', MetricName: 'FusionAuthLookupsRefused' } }));
    expect(refused(template)).toEqual([]);
    const [alarm, ...others] = refused(synthesizeApp({ fusionAuthUrl: 'https://auth.example.com' }).template);
    expect(others).toEqual([]);
    expect(alarm!.Properties).toMatchObject({ Statistic: 'Sum', Dimensions: [service], ...onAny });
  });

  it('has those twelve alarms and no other, each saying what it means and what to do', () => {
    const found = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(found).toHaveLength(12);
    for (const alarm of found) expect(alarm.Properties.AlarmDescription.length).toBeGreaterThan(80);
  });

  it('graphs the alarms, the delivery and erasure metrics, the queues and the worker on a dashboard', () => {
    const { widgets, references } = dashboardOf(template);
    const alarmArns = Object.keys(template.findResources('AWS::CloudWatch::Alarm')).map((id) => arn(id));
    expect(widgets.filter((widget) => widget.properties.annotations?.alarms)).toHaveLength(12);
    expect(references).toEqual(expect.arrayContaining(alarmArns));
    expect(widgets.every((widget) => widget.width === 8)).toBe(true);

    const graphed = searches(widgets).map(({ metricName }) => metricName);
    expect([...new Set(graphed)].sort()).toEqual(
      [
        'Deliveries',
        'DeliveryDuration',
        'TodosDeleted',
        'DeletionsQueued',
        // FusionAuthLookupsRefused has no dimension to split by: its alarm's widget graphs it. The
        // reconcile's are graphed only when it is scheduled (test/infra/reconcile-schedule.test.ts).
        ...Object.keys(ERASURE_METRIC_DIMENSIONS).filter((name) => name !== 'FusionAuthLookupsRefused' && !(RECONCILE_METRICS as readonly string[]).includes(name)),
      ].sort(),
    );
    // The erasure lifecycle: requested, confirmed, rolled back, unconfirmed, erased, its duration, open ones by state.
    const statistics = (name: string) => searches(widgets).filter(({ metricName }) => metricName === name).map(({ statistic }) => statistic);
    expect(statistics('ErasureDuration')).toEqual(['p50', 'p99']);
    expect(statistics('OpenErasures')).toEqual(['Maximum']);

    const metrics = widgets.flatMap((widget) => widget.properties.metrics ?? []);
    const sqs = metrics.filter(([namespace]) => namespace === 'AWS/SQS').map(([, name]) => name);
    expect(sqs).toEqual([
      'ApproximateNumberOfMessagesVisible',
      'ApproximateNumberOfMessagesNotVisible',
      'ApproximateAgeOfOldestMessage',
      'ApproximateNumberOfMessagesVisible',
    ]);
    expect(references).toEqual(
      expect.arrayContaining([
        { 'Fn::GetAtt': [queue(), 'QueueName'] },
        { 'Fn::GetAtt': [deadLetterQueue(), 'QueueName'] },
        ref('DeletionWorkerFunction'),
      ]),
    );
  });

  it('searches each metric by exactly the dimensions lambda/metric-schema.ts gives it, and service', () => {
    const { widgets } = dashboardOf(template);
    const found = searches(widgets);
    expect(found.length).toBeGreaterThan(0);
    for (const { metricName, schema, service: searched } of found) {
      const dimensions = metricName in ERASURE_METRIC_DIMENSIONS ? ERASURE_METRIC_DIMENSIONS[metricName as ErasureMetricName] : DELIVERY_METRIC_DIMENSIONS;
      expect({ metricName, schema }).toEqual({ metricName, schema: ['PassportWebhook', ...[...dimensions, 'service'].sort()] });
      expect(searched).toBe('passport-webhook');
    }
  });
});

/** The dashboard's SEARCH expressions: the metric, its schema (namespace first), the service and the statistic. */
function searches(widgets: readonly { properties: Record<string, any> }[]) {
  const pattern = /^SEARCH\('\{"([^"]+)",([^}]*)\} MetricName="(\w+)" service="([^"]+)"', '(\w+)', 300\)$/;
  return widgets
    .flatMap((widget) => widget.properties.metrics ?? [])
    .map(([metric]) => metric.expression)
    .filter(Boolean)
    .map((expression: string) => {
      const match = pattern.exec(expression);
      if (!match) throw new Error(`not a SEARCH of this stack's metrics: ${expression}`);
      const [, namespace, dimensions, metricName, service, statistic] = match;
      return { metricName: metricName!, schema: [namespace!, ...dimensions!.split(',')], service: service!, statistic: statistic! };
    });
}

describe('npx cdk destroy', () => {
  it('keeps the Todo table, the erasure ledger and the log groups, and deletes the rest', () => {
    const kept = Object.entries(resources(template))
      .filter(([, resource]) => resource.DeletionPolicy === 'Retain')
      .map(([id, resource]) => (resource.Type === 'AWS::DynamoDB::Table' ? id : resource.Type));
    // And the Region's API Gateway logging setting with its role, which other APIs of the account may use.
    expect(kept.sort()).toEqual(
      [todoTable(), ledgerTable(), 'AWS::Logs::LogGroup', 'AWS::Logs::LogGroup', 'AWS::Logs::LogGroup', 'AWS::ApiGateway::Account', 'AWS::IAM::Role'].sort(),
    );
  });
});

describe('outputs', () => {
  const outputs = () => template.toJSON().Outputs as Record<string, { Value: unknown }>;

  it('names exactly what the README and the tools read', () => {
    expect(Object.keys(outputs()).sort()).toEqual(
      [
        'ApiAccessLogGroupName',
        'ApiKeySecretArn',
        'ApiKeySecretName',
        'DeadLetterQueueUrl',
        'DeletionQueueUrl',
        'ErasureLedgerTableName',
        'GetApiKeyCommand',
        'RedriveCommand',
        'TodoTableName',
        'WebAclArn',
        'WebhookUrl',
      ].sort(),
    );
  });

  it('gives the full webhook URL, stage and path included', () => {
    expect(textOf(outputs().WebhookUrl!.Value)).toBe(
      `https://<${idOf(template, 'AWS::ApiGateway::RestApi')}>.execute-api.<AWS::Region>.<AWS::URLSuffix>/<${idOf(template, 'AWS::ApiGateway::Stage')}>/passport-webhook`,
    );
  });

  it('gives the web ACL and the access log group, where refusals can be looked into', () => {
    expect(outputs().WebAclArn!.Value).toEqual(arn(idOf(template, 'AWS::WAFv2::WebACL')));
    expect(outputs().ApiAccessLogGroupName!.Value).toEqual(ref(idOf(template, 'AWS::Logs::LogGroup', /AccessLogs/)));
  });

  it('gives the secret and the exact command that prints the key', () => {
    expect(outputs().ApiKeySecretArn!.Value).toEqual(ref(secret()));
    expect(JSON.stringify(outputs().ApiKeySecretName!.Value)).toContain(JSON.stringify(ref(secret())));
    expect(outputs().GetApiKeyCommand!.Value).toEqual({
      'Fn::Join': [
        '',
        [
          'aws secretsmanager get-secret-value --secret-id ',
          ref(secret()),
          ' --query SecretString --output text --region ',
          { Ref: 'AWS::Region' },
        ],
      ],
    });
  });

  it('gives the Todo table and ledger names and both queue URLs', () => {
    expect(outputs().TodoTableName!.Value).toEqual(ref(todoTable()));
    expect(outputs().ErasureLedgerTableName!.Value).toEqual(ref(ledgerTable()));
    expect(outputs().DeletionQueueUrl!.Value).toEqual(ref(queue()));
    expect(outputs().DeadLetterQueueUrl!.Value).toEqual(ref(deadLetterQueue()));
  });

  it('gives the command that moves dead-lettered jobs back to the job queue', () => {
    expect(outputs().RedriveCommand!.Value).toEqual({
      'Fn::Join': [
        '',
        ['aws sqs start-message-move-task --source-arn ', arn(deadLetterQueue()), ' --destination-arn ', arn(queue()), ' --region ', { Ref: 'AWS::Region' }],
      ],
    });
  });
});
