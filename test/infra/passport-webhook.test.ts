import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { PassportWebhook, type PassportWebhookProps } from '../../infra/index.ts';
import { onlyResource } from '../support/cdk-app.ts';

/** Another team's app: its own stack, no cdk.json of ours, bundling skipped. */
function inAnotherApp(define: (stack: Stack) => PassportWebhookProps = () => ({})) {
  const app = new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'TheirStack');
  const webhook = new PassportWebhook(stack, 'Webhook', define(stack));
  return { webhook, template: Template.fromStack(stack) };
}

describe('PassportWebhook, from the package exports', () => {
  it('takes a table of the same app and grants on that table alone, not on its indexes', () => {
    const { template } = inAnotherApp((stack) => {
      const table = new Table(stack, 'Todos', {
        partitionKey: { name: 'owner', type: AttributeType.STRING },
        sortKey: { name: 'id', type: AttributeType.STRING },
      });
      table.addGlobalSecondaryIndex({ indexName: 'byDate', partitionKey: { name: 'date', type: AttributeType.STRING } });
      return { todoTable: { table, userIdAttribute: 'owner', sortKeyAttribute: 'id' } };
    });
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    expect(onlyResource(template, 'AWS::IAM::Policy').Properties.PolicyDocument.Statement).toContainEqual({
      Effect: 'Allow',
      Action: ['dynamodb:Query', 'dynamodb:BatchWriteItem'],
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Todos/), 'Arn'] },
    });
  });

  it('lets the function decrypt a secret kept under a customer managed key', () => {
    const { template } = inAnotherApp((stack) => ({
      auth: { apiKeySecret: new Secret(stack, 'Key', { encryptionKey: new Key(stack, 'SecretKey') }) },
    }));
    expect(onlyResource(template, 'AWS::IAM::Policy').Properties.PolicyDocument.Statement).toContainEqual({
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^SecretKey/), 'Arn'] },
    });
  });

  it('can be used twice in one stack: it fixes no physical name or logical id', () => {
    const app = new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'TwoWebhooks');
    new PassportWebhook(stack, 'Production');
    new PassportWebhook(stack, 'Staging');
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::Function', 2);
  });

  it('exposes the URL, table, secret, function and alarms for the app to wire further', () => {
    const { webhook } = inAnotherApp();
    expect(webhook.webhookUrl).toMatch(/\/passport-webhook$/);
    expect(webhook.monitoring.alarms).toHaveLength(3);
    expect(webhook.todoTable.tableName).toBeDefined();
    expect(webhook.apiKeySecret.secretArn).toBeDefined();
  });

  it('refuses a timeout API Gateway would cut short', () => {
    const tooLong = () => inAnotherApp(() => ({ lambda: { timeout: Duration.seconds(30) } }));
    expect(tooLong).toThrow(/below API Gateway's 30 seconds/);
  });
});
