/** What another CDK app imports: the construct, its props, and the stack that uses it with defaults. */
export { FUNCTION_LOGICAL_ID, STACK_ID, WEBHOOK_PATH, WORKER_FUNCTION_LOGICAL_ID } from './names.ts';
export { DeletionQueue, type DeletionQueueProps, type WebhookDeletionProps } from './deletion-queue.ts';
export {
  PassportWebhook,
  type PassportWebhookProps,
  type TodoTableProps,
  type WebhookApiProps,
  type WebhookDedupeProps,
  type WebhookLambdaProps,
  type WebhookObservabilityProps,
} from './passport-webhook.ts';
export { PassportWebhookStack } from './passport-webhook-stack.ts';
export {
  HMAC_SIGNATURE_ALGORITHMS,
  PUBLIC_KEY_SIGNATURE_ALGORITHMS,
  WEBHOOK_AUTH_MODES,
  type WebhookAuthMode,
  type WebhookAuthProps,
  type WebhookSignatureAlgorithm,
  type WebhookSignatureProps,
} from './webhook-auth.ts';
export {
  type DeletionMonitoringTargets,
  WebhookMonitoring,
  type WebhookMonitoringProps,
} from './webhook-monitoring.ts';
