/**
 * Names other tools rely on, in a module without CDK imports so `local/invoke.ts` can use them
 * without loading aws-cdk-lib.
 */

/** The stack: `cdk.out/PassportWebhookStack.template.json`, `npx cdk deploy PassportWebhookStack`. */
export const STACK_ID = 'PassportWebhookStack';
/** The webhook function's logical id: `sam local invoke WebhookFunction`, and its entry in env.local.json. */
export const FUNCTION_LOGICAL_ID = 'WebhookFunction';
/** The deletion worker's logical id: `sam local invoke DeletionWorkerFunction`, and its entry in env.local.json. */
export const WORKER_FUNCTION_LOGICAL_ID = 'DeletionWorkerFunction';
/** The one route Passport posts to. */
export const WEBHOOK_PATH = '/passport-webhook';
