import { readFileSync } from 'node:fs';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { onlyResource, synthesizeApp } from '../support/cdk-app.ts';
import { arn, dashboardOf, idOf, ref, resources, statementsOf } from './template.ts';

/** The stack as `npx cdk deploy` ships it with no context: every default of the construct. */
let template: Template;
beforeAll(() => {
  ({ template } = synthesizeApp());
});

const webhook = () => resources(template).WebhookFunction!;
const worker = () => resources(template).DeletionWorkerFunction!;
const todoTable = () => idOf(template, 'AWS::DynamoDB::Table', /TodoTable/);
const dedupeTable = () => idOf(template, 'AWS::DynamoDB::Table', /DedupeTable/);
const queue = () => idOf(template, 'AWS::SQS::Queue', /DeletionQueue[0-9A-F]{8}$/);
const deadLetterQueue = () => idOf(template, 'AWS::SQS::Queue', /DeadLetterQueue/);
const secret = () => idOf(template, 'AWS::SecretsManager::Secret');
const logGroupOf = (fn: () => { Properties: Record<string, any> }) => fn().Properties.LoggingConfig.LogGroup.Ref as string;

/** Every variable name the runtime reads: lambda/config.ts and lambda/deletion/config.ts quote them, lambda/observability.ts reads process.env. */
function variablesTheRuntimeReads(): string[] {
  const source = (file: string) => readFileSync(new URL(`../../lambda/${file}`, import.meta.url), 'utf8');
  const quoted = ['config.ts', 'deletion/config.ts'].flatMap((file) => [...source(file).matchAll(/'([A-Z]+(?:_[A-Z0-9]+)+)'/g)].map(([, name]) => name!));
  const read = [...source('observability.ts').matchAll(/process\.env\.([A-Z_]+)/g)].map(([, name]) => name!);
  return [...new Set([...quoted, ...read])];
}

describe('API', () => {
  it('is an HTTP API with the one route POST /passport-webhook', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /passport-webhook' });
  });

  it('proxies to the function with payload format 2.0', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: { 'Fn::GetAtt': ['WebhookFunction', 'Arn'] },
      PayloadFormatVersion: '2.0',
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': ['WebhookFunction', 'Arn'] },
      Principal: 'apigateway.amazonaws.com',
    });
  });

  it('throttles its one auto-deployed stage', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });

  it('writes JSON access logs to a log group that expires them', () => {
    const { AccessLogSettings } = onlyResource(template, 'AWS::ApiGatewayV2::Stage').Properties;
    const fields = JSON.parse(AccessLogSettings.Format);
    expect(fields).toMatchObject({
      requestId: '$context.requestId',
      routeKey: '$context.routeKey',
      status: '$context.status',
      integrationError: '$context.integrationErrorMessage',
    });
    const [logGroupId] = AccessLogSettings.DestinationArn['Fn::GetAtt'];
    expect(resources(template)[logGroupId]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: 30 },
    });
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
});

describe('webhook function', () => {
  it('times out before API Gateway does, with 512 MB by default', () => {
    expect(webhook().Properties.Timeout).toBeLessThan(30);
    expect(webhook().Properties.MemorySize).toBe(512);
  });

  it('gets the environment the handler reads: API key auth, dedupe, the queue, the 1-second budget', () => {
    expect(webhook().Properties.Environment.Variables).toEqual({
      TODO_TABLE_NAME: ref(todoTable()),
      TODO_USER_ID_ATTRIBUTE: 'userId',
      TODO_SORT_KEY_ATTRIBUTE: 'todoId',
      TODO_APPLICATION_ID: '',
      WEBHOOK_AUTH: 'api-key',
      WEBHOOK_API_KEY_HEADER: 'Authorization',
      API_KEY_SECRET_ARN: ref(secret()),
      SIGNING_KEY_SECRET_ARN: '',
      WEBHOOK_JWKS_URL: '',
      WEBHOOK_SIGNATURE_ALGORITHMS: '',
      BASIC_AUTH_SECRET_ARN: '',
      SECRET_CACHE_SECONDS: '300',
      WEBHOOK_API_KEYS: '',
      WEBHOOK_SIGNING_KEYS: '',
      WEBHOOK_BASIC_AUTH: '',
      WEBHOOK_JWKS_FILE: '',
      IDEMPOTENCY_TABLE_NAME: ref(dedupeTable()),
      IDEMPOTENCY_WINDOW_SECONDS: '604800',
      DELETION_QUEUE_URL: ref(queue()),
      DELETE_BUDGET_MS: '1000',
      POWERTOOLS_SERVICE_NAME: 'passport-webhook',
      POWERTOOLS_METRICS_NAMESPACE: 'PassportWebhook',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
      AWS_ENDPOINT_URL_DYNAMODB: '',
    });
  });

  it('declares every variable the runtime reads, so that sam local --env-vars can set any of them', () => {
    const names = variablesTheRuntimeReads();
    expect(names).toEqual(expect.arrayContaining(['WEBHOOK_AUTH', 'WEBHOOK_SIGNING_KEYS', 'IDEMPOTENCY_TABLE_NAME', 'DELETE_BUDGET_MS']));
    expect(Object.keys(webhook().Properties.Environment.Variables)).toEqual(expect.arrayContaining(names));
  });
});

describe('deletion worker', () => {
  it('runs lambda/worker.ts for 5 minutes with 512 MB', () => {
    expect(worker().Properties).toMatchObject({ Timeout: 300, MemorySize: 512 });
  });

  it('gets the table, its queue and the Powertools settings, and no credential', () => {
    expect(worker().Properties.Environment.Variables).toEqual({
      TODO_TABLE_NAME: ref(todoTable()),
      TODO_USER_ID_ATTRIBUTE: 'userId',
      TODO_SORT_KEY_ATTRIBUTE: 'todoId',
      DELETION_QUEUE_URL: ref(queue()),
      POWERTOOLS_SERVICE_NAME: 'passport-webhook',
      POWERTOOLS_METRICS_NAMESPACE: 'PassportWebhook',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
      AWS_ENDPOINT_URL_DYNAMODB: '',
    });
  });

  it('takes one job at a time from the queue, at most two at once, reporting failed jobs back', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: arn(queue()),
      FunctionName: ref('DeletionWorkerFunction'),
      BatchSize: 1,
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

describe('deletion queue', () => {
  const properties = (id: string) => resources(template)[id]!.Properties;

  it('hides a job for six worker timeouts, and dead-letters it after 5 receives', () => {
    expect(properties(queue())).toMatchObject({
      VisibilityTimeout: 6 * 300,
      RedrivePolicy: { deadLetterTargetArn: arn(deadLetterQueue()), maxReceiveCount: 5 },
    });
  });

  it('keeps dead-lettered jobs 14 days, longer than the queue keeps waiting ones', () => {
    expect(properties(deadLetterQueue()).MessageRetentionPeriod).toBe(14 * 24 * 3600);
    expect(properties(queue()).MessageRetentionPeriod).toBeLessThan(14 * 24 * 3600);
    expect(properties(deadLetterQueue()).RedrivePolicy).toBeUndefined();
  });

  it.each([
    ['queue', queue],
    ['dead-letter queue', deadLetterQueue],
  ])('encrypts the %s with SQS-managed keys and refuses requests without TLS', (_, id) => {
    expect(properties(id()).SqsManagedSseEnabled).toBe(true);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [ref(id())],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Deny',
            Action: 'sqs:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Resource: arn(id()),
          },
        ],
      },
    });
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

describe('dedupe table', () => {
  it('is keyed `id` as Powertools Idempotency writes it, expiring records by TTL on `expiration`', () => {
    expect(resources(template)[dedupeTable()]!.Properties).toEqual({
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('goes with the stack: its records expire within the window anyway', () => {
    expect(resources(template)[dedupeTable()]).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });
});

describe('least privilege', () => {
  it('lets the webhook write its logs, delete Todos, read its secret, keep dedupe records and queue jobs; nothing else', () => {
    expect(statementsOf(template, 'WebhookFunction')).toEqual([
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: arn(logGroupOf(webhook)) },
      { Effect: 'Allow', Action: ['dynamodb:BatchWriteItem', 'dynamodb:Query'], Resource: arn(todoTable()) },
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: ref(secret()) },
      {
        Effect: 'Allow',
        Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Resource: arn(dedupeTable()),
      },
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arn(queue()) },
    ]);
  });

  it('lets the worker write its logs, delete Todos, consume its queue and send to it; nothing else', () => {
    expect(statementsOf(template, 'DeletionWorkerFunction')).toEqual([
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: arn(logGroupOf(worker)) },
      { Effect: 'Allow', Action: ['dynamodb:BatchWriteItem', 'dynamodb:Query'], Resource: arn(todoTable()) },
      {
        Effect: 'Allow',
        Action: [
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:ReceiveMessage',
          'sqs:SendMessage',
        ],
        Resource: arn(queue()),
      },
    ]);
  });

  it('uses no managed policy and no wildcard', () => {
    const roles = Object.values(template.findResources('AWS::IAM::Role'));
    expect(roles).toHaveLength(2);
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
  const alarms = (Namespace: string, MetricName: string, dimension: object) =>
    Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace, MetricName, Dimensions: [dimension] } }));

  it.each([
    ['webhook errors', 'AWS/Lambda', 'Errors', 'Sum', { Name: 'FunctionName', Value: ref('WebhookFunction') }],
    ['webhook throttles', 'AWS/Lambda', 'Throttles', 'Sum', { Name: 'FunctionName', Value: ref('WebhookFunction') }],
    ['API 5xx answers', 'AWS/ApiGateway', '5xx', 'Sum', { Name: 'ApiId', Value: { Ref: Match.stringLikeRegexp('^WebhookApi') } }],
    ['worker errors', 'AWS/Lambda', 'Errors', 'Sum', { Name: 'FunctionName', Value: ref('DeletionWorkerFunction') }],
    [
      'job in the dead-letter queue',
      'AWS/SQS',
      'ApproximateNumberOfMessagesVisible',
      'Maximum',
      { Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetterQueue'), 'QueueName'] } },
    ],
  ])('alarms on any %s', (_, namespace, metricName, statistic, dimension) => {
    const found = alarms(namespace, metricName, dimension);
    expect(found).toHaveLength(1);
    expect(found[0]!.Properties).toMatchObject({
      Statistic: statistic,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(found[0]!.Properties.AlarmActions).toBeUndefined();
  });

  it('has those five alarms and no other', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
  });

  it('graphs the alarms, the webhook and worker metrics, and the queues on a dashboard', () => {
    const { widgets, references } = dashboardOf(template);
    const alarmArns = Object.keys(template.findResources('AWS::CloudWatch::Alarm')).map((id) => arn(id));
    expect(widgets.filter((widget) => widget.properties.annotations?.alarms)).toHaveLength(5);
    expect(references).toEqual(expect.arrayContaining(alarmArns));

    const metrics = widgets.flatMap((widget) => widget.properties.metrics ?? []);
    const expressions = metrics.map(([metric]) => metric.expression).filter(Boolean);
    // The namespace and service the functions' environment gives Powertools, one line per dimension value.
    const search = (schema: string, name: string) =>
      expect.stringMatching(new RegExp(`^SEARCH\\('\\{"PassportWebhook",${schema}\\} MetricName="${name}" service="passport-webhook"'`));
    expect(expressions).toEqual([
      ...['Deliveries', 'TodosDeleted', 'DeliveryDuration', 'DeletionsQueued'].map((name) => search('eventType,outcome,service', name)),
      ...['TodosDeleted', 'DeletionJobFailures'].map((name) => search('outcome,service', name)),
    ]);

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
});

describe('npx cdk destroy', () => {
  it('keeps the Todo table and the log groups, and deletes the rest', () => {
    const kept = Object.entries(resources(template))
      .filter(([, resource]) => resource.DeletionPolicy === 'Retain')
      .map(([id, resource]) => (resource.Type === 'AWS::DynamoDB::Table' ? id : resource.Type));
    expect(kept.sort()).toEqual([todoTable(), 'AWS::Logs::LogGroup', 'AWS::Logs::LogGroup', 'AWS::Logs::LogGroup'].sort());
  });
});

describe('outputs', () => {
  const outputs = () => template.toJSON().Outputs as Record<string, { Value: unknown }>;

  it('names exactly what the README and the tools read', () => {
    expect(Object.keys(outputs()).sort()).toEqual(
      [
        'ApiKeySecretArn',
        'ApiKeySecretName',
        'DeadLetterQueueUrl',
        'DeletionQueueUrl',
        'GetApiKeyCommand',
        'RedriveCommand',
        'TodoTableName',
        'WebhookUrl',
      ].sort(),
    );
  });

  it('gives the full webhook URL, path included', () => {
    expect(outputs().WebhookUrl!.Value).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [idOf(template, 'AWS::ApiGatewayV2::Api'), 'ApiEndpoint'] }, '/passport-webhook']],
    });
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

  it('gives the Todo table name and both queue URLs', () => {
    expect(outputs().TodoTableName!.Value).toEqual(ref(todoTable()));
    expect(outputs().DeletionQueueUrl!.Value).toEqual(ref(queue()));
    expect(outputs().DeadLetterQueueUrl!.Value).toEqual(ref(deadLetterQueue()));
  });

  it('gives the command that moves dead-lettered jobs back to the queue they came from', () => {
    expect(outputs().RedriveCommand!.Value).toEqual({
      'Fn::Join': ['', ['aws sqs start-message-move-task --source-arn ', arn(deadLetterQueue()), ' --region ', { Ref: 'AWS::Region' }]],
    });
  });
});
