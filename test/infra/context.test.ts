import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { onlyResource, synthesizeApp } from '../support/cdk-app.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:passport/api-key-AbC123';
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:webhook-alarms';

/** Every key docs/deploy.md lists, strings as `-c key=value` passes them, numbers as cdk.json may. */
const EVERY_KEY = {
  todoTableName: 'ExistingTodos',
  todoUserIdAttribute: 'ownerId',
  todoSortKeyAttribute: 'itemId',
  todoApplicationId: '10000000-0000-0002-0000-000000000001',
  apiKeySecretArn: SECRET_ARN,
  memorySize: '1024',
  timeoutSeconds: '20',
  throttleRateLimit: '10',
  throttleBurstLimit: 20,
  logLevel: 'DEBUG',
  logRetentionDays: '90',
  alarmTopicArn: TOPIC_ARN,
  serviceName: 'todo-webhook',
  metricsNamespace: 'Todos',
  dashboardName: 'todo-webhook',
};

describe('the stack reads its settings from CDK context', () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = synthesizeApp(EVERY_KEY));
  });
  const fn = () => onlyResource(template, 'AWS::Lambda::Function').Properties;
  const statements = () => onlyResource(template, 'AWS::IAM::Policy').Properties.PolicyDocument.Statement as any[];

  it('uses an existing table by name, with its key attribute names', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    expect(fn().Environment.Variables).toMatchObject({
      TODO_TABLE_NAME: 'ExistingTodos',
      TODO_USER_ID_ATTRIBUTE: 'ownerId',
      TODO_SORT_KEY_ATTRIBUTE: 'itemId',
    });
    const dynamodb = statements().find((statement) => statement.Action.includes('dynamodb:Query'));
    expect(JSON.stringify(dynamodb.Resource)).toMatch(/:table\/ExistingTodos"\]\]\}$/);
    expect(template.toJSON().Outputs.TodoTableName.Value).toBe('ExistingTodos');
  });

  it('uses an existing secret by ARN, and only that one', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(fn().Environment.Variables.API_KEY_SECRET_ARN).toBe(SECRET_ARN);
    expect(statements()).toContainEqual({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: SECRET_ARN });
    const outputs = template.toJSON().Outputs;
    expect(outputs.ApiKeySecretName.Value).toBe('passport/api-key');
    expect(outputs.GetApiKeyCommand.Value['Fn::Join'][1].join('')).toContain(`--secret-id ${SECRET_ARN} --query`);
  });

  it('sizes the function and names the Todo application', () => {
    expect(fn()).toMatchObject({ MemorySize: 1024, Timeout: 20 });
    expect(fn().Environment.Variables.TODO_APPLICATION_ID).toBe('10000000-0000-0002-0000-000000000001');
  });

  it('throttles the stage and keeps logs as long as asked', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
    });
    const logGroups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    expect(logGroups.map((group) => group.Properties.RetentionInDays)).toEqual([90, 90]);
  });

  it('gives Powertools the service name, namespace and log level, and the dashboard the same namespace', () => {
    expect(fn().Environment.Variables).toMatchObject({
      POWERTOOLS_SERVICE_NAME: 'todo-webhook',
      POWERTOOLS_METRICS_NAMESPACE: 'Todos',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
    });
    const dashboard = onlyResource(template, 'AWS::CloudWatch::Dashboard').Properties;
    expect(dashboard.DashboardName).toBe('todo-webhook');
    expect(JSON.stringify(dashboard.DashboardBody)).toContain('service=\\\\\\"todo-webhook\\\\\\"');
    expect(JSON.stringify(dashboard.DashboardBody)).toContain('{\\\\\\"Todos\\\\\\",eventType,outcome,service}');
  });

  it('notifies the alarm topic when an alarm goes off and when it clears', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(3);
    for (const alarm of alarms) {
      expect(alarm.Properties).toMatchObject({ AlarmActions: [TOPIC_ARN], OKActions: [TOPIC_ARN] });
    }
  });
});

describe('context values', () => {
  it('count as unset when empty', () => {
    const { template } = synthesizeApp({ todoTableName: '', apiKeySecretArn: ' ' });
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
  });

  it.each([
    ['memorySize', 'lots', /"memorySize" must be a whole number from 128 to 10240/],
    ['timeoutSeconds', '30', /"timeoutSeconds" must be a whole number from 1 to 29/],
    ['throttleBurstLimit', '-1', /"throttleBurstLimit" must be a whole number/],
    ['logLevel', 'LOUD', /"logLevel" must be one of .*DEBUG/],
    ['logRetentionDays', '45', /"logRetentionDays" must be one of .*30, 60, 90/],
    ['apiKeySecretArn', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:passport/api-key', /complete ARN/],
  ])('refuse an invalid %s, naming the key', (key, value, message) => {
    expect(() => synthesizeApp({ [key]: value })).toThrow(message);
  });
});
