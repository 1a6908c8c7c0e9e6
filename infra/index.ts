/** What another CDK app imports: the construct, its props, and the stack that uses it with defaults. */
export { FUNCTION_LOGICAL_ID, FUSIONAUTH_API_KEY_PLACEHOLDER, STACK_ID, WEBHOOK_PATH, WORKER_FUNCTION_LOGICAL_ID } from './names.ts';
export { DeletionTargets, type DeletionTargetProps, type TodoTableProps } from './deletion-targets.ts';
export type { ErasureProps, FusionAuthProps } from './erasure-settings.ts';
export { ErasureWorker, type ErasureWorkerProps, type WebhookDeletionProps } from './erasure-worker.ts';
export {
  PassportWebhook,
  type PassportWebhookProps,
  type WebhookLambdaProps,
  WEBHOOK_LOG_LEVELS,
  type WebhookLogLevel,
  type WebhookObservabilityProps,
} from './passport-webhook.ts';
export {
  THROTTLED_METRIC,
  WAF_RULES,
  WebhookApi,
  type WebhookApiConstructProps,
  type WebhookApiProps,
} from './webhook-api.ts';
export {
  BULK_DELETE_USERS,
  EDGE_ANSWERS,
  EDGE_DEFAULTS,
  type EdgePolicy,
  type EdgeSettings,
  resolveEdgePolicy,
  WEBHOOK_STAGE,
} from './edge-policy.ts';
export { PassportWebhookStack } from './passport-webhook-stack.ts';
export { type ReconcileProps, ReconcileSchedule, type ReconcileScheduleProps } from './reconcile-schedule.ts';
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
  type ErasureMonitoringTargets,
  type WebhookApiMetrics,
  WebhookMonitoring,
  type WebhookMonitoringProps,
} from './webhook-monitoring.ts';
