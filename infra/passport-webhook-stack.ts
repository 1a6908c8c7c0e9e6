import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { webhookPropsFromContext } from './context.ts';
import { FUNCTION_LOGICAL_ID, WORKER_FUNCTION_LOGICAL_ID } from './names.ts';
import { PassportWebhook } from './passport-webhook.ts';

/**
 * The webhook with the settings of CDK context (see `webhookPropsFromContext`), and the outputs
 * that setting Passport up, and looking after erasures, need.
 */
export class PassportWebhookStack extends Stack {
  readonly webhook: PassportWebhook;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, { description: 'Passport webhook: erases the Todos of deleted users', ...props });
    const webhookProps = webhookPropsFromContext(this);
    this.webhook = new PassportWebhook(this, 'Webhook', webhookProps);
    // Fixed ids, so `sam local invoke` and env.local.json can name the functions.
    (this.webhook.function.node.defaultChild as CfnFunction).overrideLogicalId(FUNCTION_LOGICAL_ID);
    (this.webhook.erasureWorker.worker.node.defaultChild as CfnFunction).overrideLogicalId(WORKER_FUNCTION_LOGICAL_ID);

    new CfnOutput(this, 'WebhookUrl', {
      description: 'Passport: Settings > Webhooks > URL',
      value: this.webhook.webhookUrl,
    });
    const { api } = this.webhook;
    new CfnOutput(this, 'ApiAccessLogGroupName', {
      description: "Every request to the API, the edge's refusals included: status, responseType, waf, sourceIp",
      value: api.accessLogs.logGroupName,
    });
    if (api.webAcl) {
      new CfnOutput(this, 'WebAclArn', {
        description: "The AWS WAF web ACL in front of the API: its sampled requests show who was refused (docs/flood-defence.md)",
        value: api.webAcl.attrArn,
      });
    }
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
    // Only for a key secret the stack created: it holds a placeholder until the real key is written.
    if (this.webhook.fusionAuthApiKeySecret && !webhookProps.fusionAuth?.apiKeySecret) {
      this.addFusionAuthKeyOutputs(this.webhook.fusionAuthApiKeySecret);
    }
    // With targets, the tables are the app's own and named in its context already.
    if (this.webhook.todoTable) new CfnOutput(this, 'TodoTableName', { value: this.webhook.todoTable.tableName });
    new CfnOutput(this, 'ErasureLedgerTableName', {
      description: 'The erasure requests, and the receipts of finished erasures',
      value: this.webhook.ledgerTable.tableName,
    });
    const { queue, deadLetterQueue } = this.webhook.erasureWorker;
    new CfnOutput(this, 'DeletionQueueUrl', {
      description: 'The erasure jobs waiting for the worker: looks at requests, erasures to carry on, second passes, sweeps',
      value: queue.queueUrl,
    });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      description: 'Erasure jobs that failed every receive or were set aside: inspect, fix, then run RedriveCommand',
      value: deadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'RedriveCommand', {
      description: 'Moves the dead-lettered erasure jobs back to the job queue',
      // The destination is named rather than left to each message's source queue: the jobs the
      // worker set aside itself were sent to the dead-letter queue directly, by no redrive.
      value:
        `aws sqs start-message-move-task --source-arn ${deadLetterQueue.queueArn} ` +
        `--destination-arn ${queue.queueArn} --region ${this.region}`,
    });
  }

  private addFusionAuthKeyOutputs(secret: ISecret): void {
    new CfnOutput(this, 'FusionAuthApiKeySecretArn', {
      description: 'The secret to write a FusionAuth API key allowed GET on /api/user into (npm run register does)',
      value: secret.secretArn,
    });
    new CfnOutput(this, 'PutFusionAuthApiKeyCommand', {
      // Not $FUSIONAUTH_API_KEY: npm run register reads that one for the admin key, which must never land here.
      description: 'Writes the confirmation key in $FUSIONAUTH_CONFIRMATION_KEY into the secret, keeping it off the command line',
      value: `aws secretsmanager put-secret-value --secret-id ${secret.secretArn} --secret-string "$FUSIONAUTH_CONFIRMATION_KEY" --region ${this.region}`,
    });
  }

  /** The region is explicit: the CLI looks an ARN up in its own default region otherwise. */
  private printSecretCommand(secret: ISecret): string {
    return `aws secretsmanager get-secret-value --secret-id ${secret.secretArn} --query SecretString --output text --region ${this.region}`;
  }
}
