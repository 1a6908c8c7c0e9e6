import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** The lifecycle metrics the erasure alarms and dashboard read (infra/webhook-monitoring.ts). */
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
  | 'OldestOpenErasureAge';

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
};

const UNITS: Partial<Record<ErasureMetricName, (typeof MetricUnit)[keyof typeof MetricUnit]>> = {
  ErasureDuration: MetricUnit.Seconds,
  OldestOpenErasureAge: MetricUnit.Seconds,
};

export type ErasureMetrics = (name: ErasureMetricName, dimensions: Readonly<Record<string, string>>, value?: number) => void;

/**
 * One EMF line per lifecycle step, with its own dimensions: they are not a delivery's (event type
 * and outcome), which the delivery's own line carries.
 */
export const powertoolsErasureMetrics =
  (metrics: Metrics): ErasureMetrics =>
  (name, dimensions, value = 1) => {
    const single = metrics.singleMetric();
    for (const dimension of ERASURE_METRIC_DIMENSIONS[name]) single.addDimension(dimension, dimensions[dimension] ?? 'none');
    single.addMetric(name, UNITS[name] ?? MetricUnit.Count, value);
  };
