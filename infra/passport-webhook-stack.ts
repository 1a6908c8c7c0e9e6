import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { webhookPropsFromContext } from './context.ts';
import { FUNCTION_LOGICAL_ID, WORKER_FUNCTION_LOGICAL_ID } from './names.ts';
import { PassportWebhook } from './passport-webhook.ts';

/**
 * The webhook with the settings of CDK context (see `webhookPropsFromContext`), and the outputs
 * that setting Passport up, and looking after the deletion queue, need.
 */
export class PassportWebhookStack extends Stack {
  readonly webhook: PassportWebhook;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, { description: 'Passport webhook: deletes the Todos of deleted users', ...props });
    this.webhook = new PassportWebhook(this, 'Webhook', webhookPropsFromContext(this));
    // Fixed ids, so `sam local invoke` and env.local.json can name the functions.
    (this.webhook.function.node.defaultChild as CfnFunction).overrideLogicalId(FUNCTION_LOGICAL_ID);
    (this.webhook.deletion.worker.node.defaultChild as CfnFunction).overrideLogicalId(WORKER_FUNCTION_LOGICAL_ID);

    new CfnOutput(this, 'WebhookUrl', {
      description: 'Passport: Settings > Webhooks > URL',
      value: this.webhook.webhookUrl,
    });
    const { apiKeySecret, signingKeySecret } = this.webhook;
    if (apiKeySecret) {
      new CfnOutput(this, 'ApiKeySecretName', {
        description: 'The secret holding the API key Passport sends in its webhook requests',
        value: apiKeySecret.secretName,
      });
      new CfnOutput(this, 'ApiKeySecretArn', { value: apiKeySecret.secretArn });
      new CfnOutput(this, 'GetApiKeyCommand', {
        description: 'Prints the API key',
        value: this.printSecretCommand(apiKeySecret),
      });
    }
    if (signingKeySecret) {
      new CfnOutput(this, 'SigningKeySecretName', {
        description: 'The secret holding the HMAC secret to import into FusionAuth Key Master as the signing key',
        value: signingKeySecret.secretName,
      });
      new CfnOutput(this, 'SigningKeySecretArn', { value: signingKeySecret.secretArn });
      new CfnOutput(this, 'GetSigningKeyCommand', {
        description: 'Prints the HMAC signing secret',
        value: this.printSecretCommand(signingKeySecret),
      });
    }
    new CfnOutput(this, 'TodoTableName', { value: this.webhook.todoTable.tableName });
    const { queue, deadLetterQueue } = this.webhook.deletion;
    new CfnOutput(this, 'DeletionQueueUrl', {
      description: 'Deletions that outlasted a delivery, waiting for the worker',
      value: queue.queueUrl,
    });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      description: 'Deletion jobs that failed every receive: inspect, fix, then run RedriveCommand',
      value: deadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'RedriveCommand', {
      description: 'Moves the dead-lettered deletion jobs back to the deletion queue',
      // Without a destination, SQS moves them back to the queue they came from.
      value: `aws sqs start-message-move-task --source-arn ${deadLetterQueue.queueArn} --region ${this.region}`,
    });
  }

  /** The region is explicit: the CLI looks an ARN up in its own default region otherwise. */
  private printSecretCommand(secret: ISecret): string {
    return `aws secretsmanager get-secret-value --secret-id ${secret.secretArn} --query SecretString --output text --region ${this.region}`;
  }
}
