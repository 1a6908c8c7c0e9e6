/**
 * The metrics both functions publish and the dimensions of each: exactly these, so the
 * dashboard's SEARCH expressions and the alarms (infra/webhook-monitoring.ts) find them. Free of
 * imports, so the CDK construct can read it.
 */

/** Every delivery: Deliveries, DeliveryDuration, TodosDeleted, DeletionsQueued (lambda/delivery.ts). */
export const DELIVERY_METRIC_DIMENSIONS = ['eventType', 'outcome'] as const;

/** The erasure lifecycle's metrics (lambda/erasure/erasure-service.ts), one EMF line each. */
export type ErasureMetricName =
  | 'ErasuresRequested'
  | 'ErasuresConfirmed'
  | 'ErasuresRolledBack'
  | 'ErasuresUnconfirmed'
  | 'ErasuresErased'
  | 'ErasureDuration'
  | 'TodosErased'
  | 'ErasureJobHops'
  | 'ErasureJobsDeadLettered'
  | 'FusionAuthLookupsRefused'
  | 'OpenErasures'
  | 'OldestOpenErasureAge'
  | ReconcileMetricName;

/** The scheduled reconcile's metrics (lambda/reconcile/scheduled-reconcile.ts): one series each, by service only. */
export type ReconcileMetricName = 'ReconcileUsersChecked' | 'ReconcileUsersMissing' | 'ReconcileUsersErased' | 'ReconcileRunsRefused';
export const RECONCILE_METRICS: readonly ReconcileMetricName[] = ['ReconcileUsersChecked', 'ReconcileUsersMissing', 'ReconcileUsersErased', 'ReconcileRunsRefused'];

/** Each lifecycle metric's dimensions: exactly these, so the dashboard's SEARCH finds them. */
export const ERASURE_METRIC_DIMENSIONS: Readonly<Record<ErasureMetricName, readonly string[]>> = {
  ErasuresRequested: ['scope'],
  ErasuresConfirmed: ['scope', 'method'],
  ErasuresRolledBack: ['scope'],
  ErasuresUnconfirmed: ['scope'],
  ErasuresErased: ['scope'],
  ErasureDuration: ['scope'],
  TodosErased: ['scope'],
  ErasureJobHops: ['kind'],
  ErasureJobsDeadLettered: ['kind'],
  FusionAuthLookupsRefused: [],
  OpenErasures: ['state'],
  OldestOpenErasureAge: ['state'],
  ReconcileUsersChecked: [],
  ReconcileUsersMissing: [],
  ReconcileUsersErased: [],
  ReconcileRunsRefused: [],
};

