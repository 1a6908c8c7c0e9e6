/** What another CDK app imports: the construct, its props, and the stack that uses it with defaults. */
export { FUNCTION_LOGICAL_ID, STACK_ID, WEBHOOK_PATH } from './names.ts';
export {
  PassportWebhook,
  type PassportWebhookProps,
  type TodoTableProps,
  type WebhookApiProps,
  type WebhookAuthProps,
  type WebhookLambdaProps,
  type WebhookObservabilityProps,
} from './passport-webhook.ts';
export { PassportWebhookStack } from './passport-webhook-stack.ts';
export { WebhookMonitoring, type WebhookMonitoringProps } from './webhook-monitoring.ts';
