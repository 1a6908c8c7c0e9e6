import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { onlyResource, synthesizeApp } from '../support/cdk-app.ts';

/** The stack as `npx cdk deploy` ships it with no context: every default of the construct. */
let template: Template;
beforeAll(() => {
  ({ template } = synthesizeApp());
});

const ref = (type: string) => ({ Ref: Object.keys(template.findResources(type))[0] });
const arnOf = (type: string) => ({ 'Fn::GetAtt': [Object.keys(template.findResources(type))[0], 'Arn'] });

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
    expect(template.toJSON().Resources[logGroupId]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: 30 },
    });
  });
});

describe('function', () => {
  const fn = () => onlyResource(template, 'AWS::Lambda::Function');

  it('has the logical id `sam local invoke` names', () => {
    expect(Object.keys(template.findResources('AWS::Lambda::Function'))).toEqual(['WebhookFunction']);
  });

  it('runs the bundled handler on Node.js 22, arm64', () => {
    expect(fn().Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler' });
  });

  it('times out before API Gateway does, with 512 MB by default', () => {
    expect(fn().Properties.Timeout).toBeLessThan(30);
    expect(fn().Properties.MemorySize).toBe(512);
  });

  it('logs to its own log group with a retention, not through the deprecated logRetention', () => {
    const [logGroupId] = Object.values(fn().Properties.LoggingConfig.LogGroup) as string[];
    expect(template.toJSON().Resources[logGroupId!]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: 30 },
    });
    template.resourceCountIs('Custom::LogRetention', 0);
  });

  it('gets the environment the handler reads, with the local overrides declared empty', () => {
    expect(fn().Properties.Environment.Variables).toEqual({
      TODO_TABLE_NAME: ref('AWS::DynamoDB::Table'),
      TODO_USER_ID_ATTRIBUTE: 'userId',
      TODO_SORT_KEY_ATTRIBUTE: 'todoId',
      TODO_APPLICATION_ID: '',
      API_KEY_SECRET_ARN: ref('AWS::SecretsManager::Secret'),
      POWERTOOLS_SERVICE_NAME: 'passport-webhook',
      POWERTOOLS_METRICS_NAMESPACE: 'PassportWebhook',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
      WEBHOOK_API_KEYS: '',
      AWS_ENDPOINT_URL_DYNAMODB: '',
    });
  });
});

describe('Todo table', () => {
  it('is keyed userId / todoId, on demand, with point-in-time recovery', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'userId', KeyType: 'HASH' },
        { AttributeName: 'todoId', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('survives a stack deletion and a console click', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
  });
});

describe('least privilege', () => {
  const statements = () => onlyResource(template, 'AWS::IAM::Policy').Properties.PolicyDocument.Statement;

  it('lets the function write its own logs, Query and BatchWriteItem the table, and read the secret; nothing else', () => {
    expect(statements()).toEqual([
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: arnOf('AWS::Logs::LogGroup') },
      { Effect: 'Allow', Action: ['dynamodb:BatchWriteItem', 'dynamodb:Query'], Resource: arnOf('AWS::DynamoDB::Table') },
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: ref('AWS::SecretsManager::Secret') },
    ]);
  });

  it('uses no managed policy and no wildcard', () => {
    const role = onlyResource(template, 'AWS::IAM::Role');
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.Policies).toBeUndefined();
    expect(JSON.stringify(statements())).not.toContain('*');
  });
});

describe('API key secret', () => {
  it('holds a generated key of letters and digits, which a header and a comma-separated list both take', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true, IncludeSpace: false },
    });
  });
});

describe('observability', () => {
  const alarm = (Namespace: string, MetricName: string) =>
    Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace, MetricName } }));

  it.each([
    ['function errors', 'AWS/Lambda', 'Errors', { Name: 'FunctionName', Value: { Ref: 'WebhookFunction' } }],
    ['function throttles', 'AWS/Lambda', 'Throttles', { Name: 'FunctionName', Value: { Ref: 'WebhookFunction' } }],
    ['API 5xx answers', 'AWS/ApiGateway', '5xx', { Name: 'ApiId', Value: { Ref: expect.stringMatching(/^WebhookApi/) } }],
  ])('alarms on any %s', (_, namespace, metricName, dimension) => {
    const [found, ...more] = alarm(namespace, metricName);
    expect(more).toEqual([]);
    expect(found?.Properties).toMatchObject({
      Dimensions: [dimension],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(found?.Properties.AlarmActions).toBeUndefined();
  });

  it('graphs the alarms and the handler metrics on a dashboard', () => {
    const [, parts] = onlyResource(template, 'AWS::CloudWatch::Dashboard').Properties.DashboardBody['Fn::Join'];
    const references: unknown[] = [];
    const text = (parts as unknown[])
      .map((part) => (typeof part === 'string' ? part : (references.push(part), 'REF')))
      .join('');
    const widgets = (JSON.parse(text) as { widgets: { properties: Record<string, any> }[] }).widgets;

    const alarmIds = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
    const alarmArns = alarmIds.map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] }));
    expect(widgets.filter((widget) => widget.properties.annotations?.alarms)).toHaveLength(3);
    expect(references).toEqual(expect.arrayContaining(alarmArns));

    const expressions = widgets.flatMap((widget) => widget.properties.metrics ?? []).map(([metric]) => metric.expression);
    // The namespace and service the function's environment gives Powertools, one line per event type and outcome.
    expect(expressions).toEqual(
      ['Deliveries', 'TodosDeleted', 'DeliveryDuration'].map((name) =>
        expect.stringMatching(
          new RegExp(
            `^SEARCH\\('\\{"PassportWebhook",eventType,outcome,service\\} MetricName="${name}" service="passport-webhook"'`,
          ),
        ),
      ),
    );
  });
});

describe('npx cdk destroy', () => {
  it('keeps the Todo table and the log groups, and deletes the rest', () => {
    const resources = Object.values(template.toJSON().Resources) as { Type: string; DeletionPolicy?: string }[];
    const kept = resources.filter((resource) => resource.DeletionPolicy === 'Retain').map((resource) => resource.Type);
    expect(kept.sort()).toEqual(['AWS::DynamoDB::Table', 'AWS::Logs::LogGroup', 'AWS::Logs::LogGroup']);
  });
});

describe('outputs', () => {
  const outputs = () => template.toJSON().Outputs as Record<string, { Value: unknown }>;

  it('names exactly what the README and the tools read', () => {
    expect(Object.keys(outputs()).sort()).toEqual(
      ['ApiKeySecretArn', 'ApiKeySecretName', 'GetApiKeyCommand', 'TodoTableName', 'WebhookUrl'].sort(),
    );
  });

  it('gives the full webhook URL, path included', () => {
    const [apiId] = Object.keys(template.findResources('AWS::ApiGatewayV2::Api'));
    expect(outputs().WebhookUrl!.Value).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [apiId, 'ApiEndpoint'] }, '/passport-webhook']],
    });
  });

  it('gives the secret and the exact command that prints the key', () => {
    const secret = ref('AWS::SecretsManager::Secret');
    expect(outputs().ApiKeySecretArn!.Value).toEqual(secret);
    expect(JSON.stringify(outputs().ApiKeySecretName!.Value)).toContain(JSON.stringify(secret));
    expect(outputs().GetApiKeyCommand!.Value).toEqual({
      'Fn::Join': [
        '',
        [
          'aws secretsmanager get-secret-value --secret-id ',
          secret,
          ' --query SecretString --output text --region ',
          { Ref: 'AWS::Region' },
        ],
      ],
    });
  });

  it('gives the Todo table name', () => {
    expect(outputs().TodoTableName!.Value).toEqual(ref('AWS::DynamoDB::Table'));
  });
});
