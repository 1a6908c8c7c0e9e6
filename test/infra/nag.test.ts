import { Validations } from 'aws-cdk-lib';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { synthesizeApp } from '../support/cdk-app.ts';

const EXISTING_RESOURCES = {
  todoTableName: 'Todos',
  apiKeySecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:passport/api-key-AbC123',
  alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:webhook-alarms',
};

/** Every acknowledgement in the app, by rule id, with its reason and where it was made. */
function acknowledgements(root: IConstruct) {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
      .map(([id, reason]) => ({ id, reason, path: construct.node.path })),
  );
}

describe('cdk-nag AWS Solutions checks', () => {
  it.each([
    ['with the defaults', {}],
    ['with an existing table, secret and alarm topic', EXISTING_RESOURCES],
  ])('find nothing unacknowledged in the app %s', (_, context) => {
    const { app } = synthesizeApp(context);
    expect(new AwsSolutionsChecks().validateScope(app)).toEqual({ success: true, violations: [] });
  });

  it('are acknowledged three times, each with its reason, on the construct it concerns', () => {
    const { app } = synthesizeApp();
    const found = acknowledgements(app);
    expect(found.map(({ id, path }) => [id, path])).toEqual([
      ['Annotation::AwsSolutions-SMG4', 'PassportWebhookStack/Webhook/ApiKeySecret'],
      ['Annotation::AwsSolutions-L1', 'PassportWebhookStack/Webhook/Function'],
      ['Annotation::AwsSolutions-APIG4', 'PassportWebhookStack/Webhook/Api'],
    ]);
    for (const { reason } of found) expect(reason.length).toBeGreaterThan(80);
  });

  it('run when the app synthesizes, and fail it on a finding nobody acknowledged', () => {
    // A topic that accepts publishing over plain HTTP: AwsSolutions-SNS3.
    const withAFinding = () => synthesizeApp({}, (stack) => new Topic(stack, 'Unchecked'));
    expect(withAFinding).toThrow(/AwsSolutions-SNS3/);
  });
});
