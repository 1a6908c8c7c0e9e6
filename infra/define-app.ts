import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { STACK_ID } from './names.ts';
import { PassportWebhookStack } from './passport-webhook-stack.ts';

/**
 * The app `cdk synth` builds: the stack, checked by cdk-nag's AWS Solutions rules. A finding
 * without an acknowledgement (and its reason) in code fails the synthesis.
 */
export function definePassportWebhookApp(app: App): PassportWebhookStack {
  const stack = new PassportWebhookStack(app, STACK_ID);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
