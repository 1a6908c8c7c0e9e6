import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { ERASURE_METRIC_DIMENSIONS, type ErasureMetricName } from '../metric-schema.ts';

export type { ErasureMetricName } from '../metric-schema.ts';

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
