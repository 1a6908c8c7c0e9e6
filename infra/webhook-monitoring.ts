import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface WebhookMonitoringProps {
  readonly function: IFunction;
  readonly api: IHttpApi;
  /** Where the handler publishes its EMF metrics (POWERTOOLS_METRICS_NAMESPACE). */
  readonly metricsNamespace: string;
  /** The `service` dimension of those metrics (POWERTOOLS_SERVICE_NAME). */
  readonly serviceName: string;
  /** Told when an alarm goes off and when it clears. */
  readonly alarmTopic?: ITopic;
  readonly dashboardName?: string;
}

const PERIOD = Duration.minutes(5);

/**
 * Alarms on what Passport would notice (a crash, a 5xx, a throttled function), and a dashboard
 * with those alarms above graphs of the handler's own metrics.
 */
export class WebhookMonitoring extends Construct {
  readonly alarms: readonly Alarm[];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: WebhookMonitoringProps) {
    super(scope, id);
    const { function: fn, api } = props;
    const sum = { period: PERIOD, statistic: Stats.SUM };

    const alarms = [
      this.alarmOnAny(
        'FunctionErrors',
        'Function errors',
        fn.metricErrors(sum),
        'The webhook function crashed or timed out, so Passport got no answer from the handler.',
      ),
      this.alarmOnAny(
        'Api5xx',
        'API 5xx answers',
        api.metricServerError(sum),
        'The webhook answered Passport with a 5xx: a delivery failed, and a transactional event was rolled back.',
      ),
      this.alarmOnAny(
        'FunctionThrottles',
        'Function throttles',
        fn.metricThrottles(sum),
        'Lambda throttled the webhook function: deliveries were refused for lack of concurrency.',
      ),
    ];
    this.alarms = alarms.map(({ alarm }) => alarm);
    if (props.alarmTopic) {
      const action = new SnsAction(props.alarmTopic);
      for (const alarm of this.alarms) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }

    const graph = (title: string, metricName: string, statistic: string) =>
      new GraphWidget({
        title,
        left: [searchExpression(props.metricsNamespace, props.serviceName, metricName, statistic)],
        width: 8,
      });
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(1),
      widgets: [
        alarms.map(({ alarm, title }) => new AlarmWidget({ alarm, title, width: 8 })),
        [
          graph('Deliveries by event type and outcome', 'Deliveries', Stats.SUM),
          graph('Todos deleted', 'TodosDeleted', Stats.SUM),
          graph('Delivery duration, p99 (ms)', 'DeliveryDuration', Stats.p(99)),
        ],
      ],
    });
  }

  private alarmOnAny(id: string, title: string, metric: IMetric, description: string) {
    const alarm = new Alarm(this, id, {
      metric,
      alarmDescription: description,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No invocations means nothing went wrong.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    return { alarm, title };
  }
}

/**
 * One line per event type and outcome: the handler adds those dimensions per delivery, so the
 * combinations are only known at run time, which is what a SEARCH expression is for. The dynamic
 * label names each line after its dimensions.
 */
function searchExpression(namespace: string, service: string, metricName: string, statistic: string): IMetric {
  const schema = `{"${namespace}",eventType,outcome,service}`;
  return new MathExpression({
    expression: `SEARCH('${schema} MetricName="${metricName}" service="${service}"', '${statistic}', ${PERIOD.toSeconds()})`,
    usingMetrics: {},
    label: "${PROP('Dim.eventType')} ${PROP('Dim.outcome')}",
    period: PERIOD,
  });
}
