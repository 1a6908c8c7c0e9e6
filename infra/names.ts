/**
 * Names other tools rely on, in a module without CDK imports so `local/invoke.ts` can use them
 * without loading aws-cdk-lib.
 */

/** The stack: `cdk.out/PassportWebhookStack.template.json`, `npx cdk deploy PassportWebhookStack`. */
export const STACK_ID = 'PassportWebhookStack';
/** The webhook function's logical id: `sam local invoke WebhookFunction`, and its entry in env.local.json. */
export const FUNCTION_LOGICAL_ID = 'WebhookFunction';
/** The erasure worker's logical id (its name from before erasures): `sam local invoke DeletionWorkerFunction`, and its entry in env.local.json. */
export const WORKER_FUNCTION_LOGICAL_ID = 'DeletionWorkerFunction';
/** The one route Passport posts to. */
export const WEBHOOK_PATH = '/passport-webhook';
/**
 * What the FusionAuth API key secret the stack creates holds until `npm run register` (or the
 * PutFusionAuthApiKeyCommand output) writes a real key: FusionAuth refuses it, and a tool can
 * tell the key has not been written yet.
 */
export const FUSIONAUTH_API_KEY_PLACEHOLDER = 'placeholder-write-a-FusionAuth-API-key-here';
