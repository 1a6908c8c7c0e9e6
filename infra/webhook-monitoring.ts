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
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** The part of the webhook that finishes long deletions. */
export interface DeletionMonitoringTargets {
  readonly worker: IFunction;
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
}

export interface WebhookMonitoringProps {
  readonly function: IFunction;
  readonly api: IHttpApi;
  readonly deletion: DeletionMonitoringTargets;
  /** Where both functions publish their EMF metrics (POWERTOOLS_METRICS_NAMESPACE). */
  readonly metricsNamespace: string;
  /** The `service` dimension of those metrics (POWERTOOLS_SERVICE_NAME). */
  readonly serviceName: string;
  /** Told when an alarm goes off and when it clears. */
  readonly alarmTopic?: ITopic;
  readonly dashboardName?: string;
}

const PERIOD = Duration.minutes(5);
/** The dimensions of the webhook's metrics (lambda/handler.ts) and of the worker's (lambda/deletion/worker.ts). */
const DELIVERY_DIMENSIONS = ['eventType', 'outcome'];
const JOB_DIMENSIONS = ['outcome'];

interface TitledAlarm {
  readonly alarm: Alarm;
  readonly title: string;
}

/**
 * Alarms on what Passport would notice (a crash, a 5xx, a throttled function) and on deletions
 * that did not finish (a job in the dead-letter queue, a crashed worker), and a dashboard with
 * those alarms above graphs of the webhook, the queue and the worker.
 */
export class WebhookMonitoring extends Construct {
  readonly alarms: readonly Alarm[];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: WebhookMonitoringProps) {
    super(scope, id);
    const { function: fn, api, deletion } = props;
    const sum = { period: PERIOD, statistic: Stats.SUM };
    const maximum = { period: PERIOD, statistic: Stats.MAXIMUM };

    const webhookAlarms = [
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
    const deletionAlarms = [
      this.alarmOnAny(
        'DeadLetterQueueMessages',
        'Deletion jobs in the dead-letter queue',
        deletion.deadLetterQueue.metricApproximateNumberOfMessagesVisible(maximum),
        'A deletion job failed every receive and was dead-lettered: a deleted user still has Todos. ' +
          'The README (When the dead-letter alarm fires) says how to inspect, fix and redrive it.',
      ),
      this.alarmOnAny(
        'WorkerErrors',
        'Worker errors',
        deletion.worker.metricErrors(sum),
        'The deletion worker crashed or timed out; its job returns to the queue and is dead-lettered if it keeps failing.',
      ),
    ];
    this.alarms = [...webhookAlarms, ...deletionAlarms].map(({ alarm }) => alarm);
    if (props.alarmTopic) {
      const action = new SnsAction(props.alarmTopic);
      for (const alarm of this.alarms) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }

    const search = (metricName: string, statistic: string, dimensions: readonly string[]) =>
      searchExpression(props.metricsNamespace, props.serviceName, metricName, statistic, dimensions);
    const graph = (title: string, left: IMetric[]) => new GraphWidget({ title, left, width: 8 });
    const alarmWidgets = (alarms: readonly TitledAlarm[]) =>
      alarms.map(({ alarm, title }) => new AlarmWidget({ alarm, title, width: 8 }));
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(1),
      widgets: [
        alarmWidgets(webhookAlarms),
        [
          graph('Deliveries by event type and outcome', [search('Deliveries', Stats.SUM, DELIVERY_DIMENSIONS)]),
          graph('Todos deleted inline', [search('TodosDeleted', Stats.SUM, DELIVERY_DIMENSIONS)]),
          graph('Delivery duration, p99 (ms)', [search('DeliveryDuration', Stats.p(99), DELIVERY_DIMENSIONS)]),
        ],
        [
          ...alarmWidgets(deletionAlarms),
          graph('Deletions queued', [search('DeletionsQueued', Stats.SUM, DELIVERY_DIMENSIONS)]),
        ],
        [
          graph('Deletion queue: jobs waiting and in progress', [
            deletion.queue.metricApproximateNumberOfMessagesVisible({ ...maximum, label: 'waiting' }),
            deletion.queue.metricApproximateNumberOfMessagesNotVisible({ ...maximum, label: 'in progress' }),
          ]),
          graph('Deletion queue: oldest job waiting (s)', [deletion.queue.metricApproximateAgeOfOldestMessage(maximum)]),
          graph('Dead-letter queue: jobs', [deletion.deadLetterQueue.metricApproximateNumberOfMessagesVisible(maximum)]),
        ],
        [
          graph('Worker: Todos deleted by outcome', [search('TodosDeleted', Stats.SUM, JOB_DIMENSIONS)]),
          graph('Worker: failed jobs', [search('DeletionJobFailures', Stats.SUM, JOB_DIMENSIONS)]),
          graph('Worker: invocations and errors', [
            deletion.worker.metricInvocations({ ...sum, label: 'invocations' }),
            deletion.worker.metricErrors({ ...sum, label: 'errors' }),
          ]),
        ],
      ],
    });
  }

  private alarmOnAny(id: string, title: string, metric: IMetric, description: string): TitledAlarm {
    const alarm = new Alarm(this, id, {
      metric,
      alarmDescription: description,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No invocations (or an idle queue, which SQS stops reporting) means nothing went wrong.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    return { alarm, title };
  }
}

/**
 * One line per combination of `dimensions`: the functions add them per delivery or job, so the
 * combinations are only known at run time, which is what a SEARCH expression is for. The schema
 * names exactly the metric's dimensions, `service` among them, so the webhook's TodosDeleted
 * (by event type and outcome) and the worker's (by outcome) stay apart. The dynamic label names
 * each line after its dimensions.
 */
function searchExpression(
  namespace: string,
  service: string,
  metricName: string,
  statistic: string,
  dimensions: readonly string[],
): IMetric {
  const schema = `{"${namespace}",${[...dimensions, 'service'].sort().join(',')}}`;
  return new MathExpression({
    expression: `SEARCH('${schema} MetricName="${metricName}" service="${service}"', '${statistic}', ${PERIOD.toSeconds()})`,
    usingMetrics: {},
    label: dimensions.map((dimension) => `\${PROP('Dim.${dimension}')}`).join(' '),
    period: PERIOD,
  });
}
