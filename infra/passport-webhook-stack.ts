import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { webhookPropsFromContext } from './context.ts';
import { FUNCTION_LOGICAL_ID } from './names.ts';
import { PassportWebhook } from './passport-webhook.ts';

/**
 * The webhook with the settings of CDK context (see `webhookPropsFromContext`), and the outputs
 * that setting Passport up needs.
 */
export class PassportWebhookStack extends Stack {
  readonly webhook: PassportWebhook;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, { description: 'Passport webhook: deletes the Todos of deleted users', ...props });
    this.webhook = new PassportWebhook(this, 'Webhook', webhookPropsFromContext(this));
    // A fixed id, so `sam local invoke` and env.local.json can name the function.
    (this.webhook.function.node.defaultChild as CfnFunction).overrideLogicalId(FUNCTION_LOGICAL_ID);

    const secret = this.webhook.apiKeySecret;
    new CfnOutput(this, 'WebhookUrl', {
      description: 'Passport: Settings > Webhooks > URL',
      value: this.webhook.webhookUrl,
    });
    new CfnOutput(this, 'ApiKeySecretName', {
      description: 'The secret holding the API key Passport sends as its Authorization header',
      value: secret.secretName,
    });
    new CfnOutput(this, 'ApiKeySecretArn', { value: secret.secretArn });
    new CfnOutput(this, 'GetApiKeyCommand', {
      description: 'Prints the API key',
      // The region is explicit: the CLI looks the ARN up in its own default region otherwise.
      value:
        `aws secretsmanager get-secret-value --secret-id ${secret.secretArn} ` +
        `--query SecretString --output text --region ${this.region}`,
    });
    new CfnOutput(this, 'TodoTableName', { value: this.webhook.todoTable.tableName });
  }
}
