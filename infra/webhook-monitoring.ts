import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  type IWidget,
  MathExpression,
  Metric,
  type MetricOptions,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
// Import-free on purpose: the metrics' names and dimensions as the functions publish them.
import { DELIVERY_METRIC_DIMENSIONS, ERASURE_METRIC_DIMENSIONS, type ErasureMetricName } from '../lambda/metric-schema.ts';

/** What the alarms read of the webhook's API and its edge (WebhookApi). */
export interface WebhookApiMetrics {
  metricServerError(props?: MetricOptions): IMetric;
  metricClientError(props?: MetricOptions): IMetric;
  metricCount(props?: MetricOptions): IMetric;
  /** The share of answers that were 4xx, in percent, 0 while fewer than `minRequests` came. */
  metricClientErrorRate(minRequests: number): IMetric;
  /** The stage throttle's 429s. */
  metricThrottled(props?: MetricOptions): IMetric;
  /** WAF's per-source 429s, when there is a WAF. */
  metricRateLimited(props?: MetricOptions): IMetric | undefined;
  /** WAF's allow-list 403s, when there is an allow-list in WAF. */
  metricSourceNotAllowed(props?: MetricOptions): IMetric | undefined;
}

/** The part of the webhook that confirms, carries on and checks erasures. */
export interface ErasureMonitoringTargets {
  readonly worker: IFunction;
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
}

export interface WebhookMonitoringProps {
  readonly function: IFunction;
  readonly api: WebhookApiMetrics;
  readonly erasureWorker: ErasureMonitoringTargets;
  /** How long a request waits for its confirmation: one older than this, and a look's delay, is stuck. */
  readonly confirmWindow: Duration;
  /** Where both functions publish their EMF metrics (POWERTOOLS_METRICS_NAMESPACE). */
  readonly metricsNamespace: string;
  /** The `service` dimension of those metrics (POWERTOOLS_SERVICE_NAME). */
  readonly serviceName: string;
  /**
   * Whether the worker asks FusionAuth's API (`fusionAuth`): the alarm on refused lookups.
   * @default false (no alarm on refused lookups)
   */
  readonly fusionAuthApi?: boolean;
  /**
   * Whether a reconcile is scheduled: its alarm and graphs.
   * @default false (no reconcile alarm or graphs)
   */
  readonly reconcile?: boolean;
  /**
   * Told when an alarm goes off and when it clears.
   * @default - none: the alarms only show on the dashboard
   */
  readonly alarmTopic?: ITopic;
  /**
   * The dashboard's name.
   * @default - CloudFormation names the dashboard
   */
  readonly dashboardName?: string;
}

const PERIOD = Duration.minutes(5);
/** Fewer requests than this in a period say nothing about a 4xx rate. */
const CLIENT_ERROR_RATE_MIN_REQUESTS = 20;
/** Percent of a period's answers: FusionAuth's own deliveries are next to never refused. */
const CLIENT_ERROR_RATE_THRESHOLD = 10;
/** SQS's longest delay: the most a request can wait for its last look past the end of its window. */
const LAST_LOOK_DELAY = Duration.seconds(900);
/** The dashboard is 24 units wide: three widgets a row. */
const WIDGET_WIDTH = 8;
const PER_ROW = 3;

interface TitledAlarm {
  readonly alarm: Alarm;
  readonly title: string;
}

/**
 * Alarms on what FusionAuth would notice (a crash, a 5xx, a throttled function, the edge's 429s, a
 * high 4xx rate: a flood, or FusionAuth's credentials or address no longer accepted), on erasures that
 * need a person (unconfirmed, stuck, refused by FusionAuth's API, dead-lettered) and on the worker
 * itself, and a dashboard with those alarms above graphs of deliveries, the erasure lifecycle,
 * the queues and the worker.
 */
export class WebhookMonitoring extends Construct {
  readonly alarms: readonly Alarm[];
  readonly dashboard: Dashboard;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: WebhookMonitoringProps,
  ) {
    super(scope, id);
    const webhookAlarms = this.createWebhookAlarms();
    const erasureAlarms = this.createErasureAlarms();
    const fusionAuthAlarms = props.fusionAuthApi ? [this.createFusionAuthAlarm()] : [];
    const workerAlarms = this.createWorkerAlarms();
    const reconcileAlarms = props.reconcile ? [this.createReconcileAlarm()] : [];
    this.alarms = [...webhookAlarms, ...erasureAlarms, ...fusionAuthAlarms, ...workerAlarms, ...reconcileAlarms].map(({ alarm }) => alarm);
    if (props.alarmTopic) {
      const action = new SnsAction(props.alarmTopic);
      for (const alarm of this.alarms) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
    // Each part's alarms above its graphs; the FusionAuth alarm graphs its own metric.
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(1),
      widgets: rows([
        ...alarmWidgets(webhookAlarms),
        ...this.deliveryGraphs(),
        ...alarmWidgets(erasureAlarms),
        ...this.erasureGraphs(),
        ...alarmWidgets(fusionAuthAlarms),
        ...alarmWidgets(workerAlarms),
        ...this.workerGraphs(),
        ...alarmWidgets(reconcileAlarms),
        ...(props.reconcile ? this.reconcileGraphs() : []),
      ]),
    });
  }

  private createWebhookAlarms(): TitledAlarm[] {
    const { function: fn, api } = this.props;
    return [
      this.alarmOnAny(
        'FunctionErrors',
        'Function errors',
        fn.metricErrors(SUM),
        'The webhook function crashed or timed out, so FusionAuth got no answer from the handler.',
      ),
      this.alarmOnAny(
        'Api5xx',
        'API 5xx answers',
        api.metricServerError(),
        'The webhook answered FusionAuth with a 5xx: a delivery failed, and FusionAuth retries it or rolls its transaction back.',
      ),
      this.alarmOnAny(
        'ApiThrottled',
        'API stage throttle 429s',
        api.metricThrottled(),
        "API Gateway's stage throttle answered 429 [throttled]: more requests came than api.rateLimit and api.burstLimit " +
          'allow. Any delivery of FusionAuth among them failed, and a transactional one (user.delete) rolled its ' +
          "deletion back. Look for the sources in the API's access logs (responseType THROTTLED): a flood from sources " +
          'WAF let through, or FusionAuth faster than the stage. Set api.allowedSources, or raise the limits.',
      ),
      ...this.wafAlarms(),
      this.alarm('Api4xxRate', 'API 4xx answers (%)', api.metricClientErrorRate(CLIENT_ERROR_RATE_MIN_REQUESTS), {
        threshold: CLIENT_ERROR_RATE_THRESHOLD,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        description:
          `At least ${CLIENT_ERROR_RATE_THRESHOLD}% of the API's answers in 5 minutes were 4xx (of at least ` +
          `${CLIENT_ERROR_RATE_MIN_REQUESTS} requests): strangers flooding it, or FusionAuth refused (401 when its ` +
          "credentials changed, 403 [sourceNotAllowed] when its egress address changed). FusionAuth's webhook event " +
          "log says whether its deliveries fail; the access logs' status, responseType and sourceIp say who was refused.",
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      this.alarmOnAny(
        'FunctionThrottles',
        'Function throttles',
        fn.metricThrottles(SUM),
        'Lambda throttled the webhook function: deliveries were refused for lack of concurrency.',
      ),
    ];
  }

  /** WAF refused a source: a stranger (the rules at work), or FusionAuth, whose deliveries then failed. */
  private wafAlarms(): TitledAlarm[] {
    const notAllowed = this.props.api.metricSourceNotAllowed();
    const rateLimited = this.props.api.metricRateLimited();
    const alarms: TitledAlarm[] = [];
    if (notAllowed) {
      alarms.push(
        this.alarmOnAny(
          'ApiSourceNotAllowed',
          'WAF allow-list 403s',
          notAllowed,
          'AWS WAF answered 403 [sourceNotAllowed] to a source outside api.allowedSources. The stack publishes the ' +
            "API's address nowhere, so this is someone who found it, or FusionAuth from an address it did not use before " +
            "(FusionAuth Cloud's addresses are not static): then every delivery fails and every deletion rolls back. " +
            "Compare the sources in WAF's sampled requests (or the access logs' sourceIp) with FusionAuth's nodes, " +
            "and add FusionAuth's new address to api.allowedSources.",
        ),
      );
    }
    if (rateLimited) {
      alarms.push(
        this.alarmOnAny(
          'ApiRateLimited',
          'WAF per-source 429s',
          rateLimited,
          'AWS WAF answered 429 [rateLimited] to a source that sent more than api.perSourceLimit requests in the window. ' +
            "A stranger flooding is the rule at work; if the source is FusionAuth's (WAF's sampled requests, or FusionAuth's " +
            'webhook event log), its deliveries failed and a bulk delete rolled back: set api.allowedSources, raise ' +
            'api.perSourceLimit, or space bulk deletes by api.perSourceWindow.',
        ),
      );
    }
    return alarms;
  }

  private createErasureAlarms(): TitledAlarm[] {
    const stuckAfter = this.props.confirmWindow.plus(LAST_LOOK_DELAY);
    return [
      this.alarmOnAny(
        'ErasuresUnconfirmed',
        'Erasures unconfirmed',
        this.erasureTotal('ErasuresUnconfirmed'),
        'An erasure request ended unconfirmed: within its window neither a .complete event nor FusionAuth\'s API showed ' +
          'whether the user (or registration) was deleted, so nothing was erased. A person must check the user in ' +
          'FusionAuth, then erase or close the request: its ledger record is in state unconfirmed.',
      ),
      this.gaugeAlarm('OpenUnconfirmed', 'Unconfirmed erasures open', this.openErasureGauge('OpenErasures', 'unconfirmed'), {
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        description:
          'The ledger holds erasure requests that ended unconfirmed and nobody has resolved: a user may be deleted in ' +
          'FusionAuth with their Todos still here. Check each in FusionAuth and erase or close it; the alarm clears ' +
          'when none is left.',
      }),
      this.gaugeAlarm('OldestRequestedErasure', 'Oldest requested erasure (s)', this.openErasureGauge('OldestOpenErasureAge', 'requested'), {
        threshold: stuckAfter.toSeconds(),
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        description:
          `An erasure request has waited longer than its confirmation window and a last look (${stuckAfter.toHumanString()}): ` +
          "nobody is looking at it. The job for its next look was lost or keeps failing: check the worker's errors " +
          'and the dead-letter queue.',
      }),
    ];
  }

  private createFusionAuthAlarm(): TitledAlarm {
    return this.alarmOnAny(
      'FusionAuthLookupsRefused',
      'FusionAuth lookups refused',
      this.erasureTotal('FusionAuthLookupsRefused'),
      "FusionAuth answered 401 or 403 to the worker's GET /api/user: the confirmation key is wrong, was deleted, or " +
        'lacks GET on /api/user (or its tenant). Requests wait, and end unconfirmed, until the key in the FusionAuth ' +
        'API key secret is fixed.',
    );
  }

  private createWorkerAlarms(): TitledAlarm[] {
    const { worker, deadLetterQueue } = this.props.erasureWorker;
    return [
      this.alarmOnAny(
        'ErasureJobsDeadLettered',
        'Erasure jobs set aside',
        this.erasureTotal('ErasureJobsDeadLettered'),
        'The worker set an erasure job aside in the dead-letter queue: its chain hopped too often or ran too long ' +
          'without ending. Its erasure is unfinished; the message says why. Fix the cause, then redrive it.',
      ),
      this.alarmOnAny(
        'DeadLetterQueueMessages',
        'Erasure jobs in the dead-letter queue',
        deadLetterQueue.metricApproximateNumberOfMessagesVisible(MAXIMUM),
        'An erasure job failed every receive, or was set aside, and waits in the dead-letter queue: an erasure (or a ' +
          'look at one) is unfinished. Inspect the message and the worker\'s log, fix the cause, then redrive it ' +
          '(the RedriveCommand output).',
      ),
      this.alarmOnAny(
        'WorkerErrors',
        'Worker errors',
        worker.metricErrors(SUM),
        'The erasure worker crashed or timed out; its jobs return to the queue and are dead-lettered if they keep failing.',
      ),
    ];
  }

  private createReconcileAlarm(): TitledAlarm {
    return this.alarmOnAny(
      'ReconcileRunsRefused',
      'Reconcile runs refused',
      this.erasureTotal('ReconcileRunsRefused'),
      'A scheduled reconcile refused to erase: more of the users it checked were missing in FusionAuth than ' +
        'reconcile.maxMissing allows, FusionAuth refused its key, or a target cannot be reconciled. Nothing was ' +
        "erased. The worker's log line 'reconcile refused' says why; check FUSIONAUTH_URL, the key's tenant and " +
        'permissions, then let the next run go, or erase by hand with npm run reconcile (docs/reconcile.md).',
    );
  }

  private reconcileGraphs(): IWidget[] {
    return [
      graph('Reconcile: users checked and missing', [
        this.erasureTotal('ReconcileUsersChecked'),
        this.erasureTotal('ReconcileUsersMissing'),
      ]),
      graph('Reconcile: users erased', [this.erasureTotal('ReconcileUsersErased')]),
      graph('Reconcile: runs refused', [this.erasureTotal('ReconcileRunsRefused')]),
    ];
  }

  private deliveryGraphs(): IWidget[] {
    const { api } = this.props;
    const refusals = [
      api.metricThrottled({ label: 'stage throttle 429' }),
      api.metricRateLimited({ label: 'WAF per-source 429' }),
      api.metricSourceNotAllowed({ label: 'WAF allow-list 403' }),
    ].filter(
      (metric): metric is IMetric => metric !== undefined,
    );
    return [
      graph('API answers', [
        api.metricCount({ label: 'requests' }),
        api.metricClientError({ label: '4xx' }),
        api.metricServerError({ label: '5xx' }),
      ]),
      graph('Edge refusals', refusals),
      graph('Deliveries by event type and outcome', [this.search('Deliveries', Stats.SUM)]),
      graph('Delivery duration, p99 (ms)', [this.search('DeliveryDuration', Stats.p(99))]),
      graph('Inline: Todos erased, and deliveries that queued the rest', [
        this.search('TodosDeleted', Stats.SUM, 'erased'),
        this.search('DeletionsQueued', Stats.SUM, 'queued'),
      ]),
    ];
  }

  private erasureGraphs(): IWidget[] {
    return [
      graph('Erasures requested', [this.search('ErasuresRequested', Stats.SUM)]),
      graph('Erasures confirmed, by method', [this.search('ErasuresConfirmed', Stats.SUM)]),
      graph('Erasures rolled back and unconfirmed', [
        this.search('ErasuresRolledBack', Stats.SUM, 'rolled back'),
        this.search('ErasuresUnconfirmed', Stats.SUM, 'unconfirmed'),
      ]),
      graph('Erasures erased', [this.search('ErasuresErased', Stats.SUM)]),
      graph('Todos erased', [this.search('TodosErased', Stats.SUM)]),
      graph('Erasure duration, request to receipt (s)', [
        this.search('ErasureDuration', Stats.p(50), 'p50'),
        this.search('ErasureDuration', Stats.p(99), 'p99'),
      ]),
      graph('Open erasures, by state', [this.search('OpenErasures', Stats.MAXIMUM)]),
      graph('Oldest open erasure, by state (s)', [this.search('OldestOpenErasureAge', Stats.MAXIMUM)]),
    ];
  }

  private workerGraphs(): IWidget[] {
    const { worker, queue, deadLetterQueue } = this.props.erasureWorker;
    return [
      graph('Job queue: jobs waiting and in progress', [
        queue.metricApproximateNumberOfMessagesVisible({ ...MAXIMUM, label: 'waiting' }),
        queue.metricApproximateNumberOfMessagesNotVisible({ ...MAXIMUM, label: 'in progress' }),
      ]),
      graph('Job queue: oldest job waiting (s)', [queue.metricApproximateAgeOfOldestMessage(MAXIMUM)]),
      graph('Dead-letter queue: jobs', [deadLetterQueue.metricApproximateNumberOfMessagesVisible(MAXIMUM)]),
      graph('Worker: invocations and errors', [
        worker.metricInvocations({ ...SUM, label: 'invocations' }),
        worker.metricErrors({ ...SUM, label: 'errors' }),
      ]),
      graph('Job hops, by kind (max)', [this.search('ErasureJobHops', Stats.MAXIMUM)]),
      graph('Jobs set aside, by kind', [this.search('ErasureJobsDeadLettered', Stats.SUM)]),
    ];
  }

  /**
   * One line per combination of the metric's dimensions: the functions add them per delivery or
   * erasure, so the combinations are only known at run time, which is what a SEARCH expression is
   * for. The schema names exactly the metric's dimensions (lambda/metric-schema.ts) and `service`,
   * so a metric name published with other dimensions stays apart. The dynamic label names each
   * line after its dimensions.
   */
  private search(metricName: DeliveryMetricName | ErasureMetricName, statistic: string, prefix?: string): IMetric {
    const dimensions = dimensionsOf(metricName);
    const label = [prefix, ...dimensions.map((dimension) => `\${PROP('Dim.${dimension}')}`)].filter(Boolean).join(' ');
    return new MathExpression({
      expression: `SEARCH('${this.schema(dimensions)} MetricName="${metricName}" service="${this.props.serviceName}"', '${statistic}', ${PERIOD.toSeconds()})`,
      usingMetrics: {},
      label: label || metricName,
      period: PERIOD,
    });
  }

  /**
   * A lifecycle metric summed over all its dimension values (a scope, a job kind), as one series an
   * alarm can watch: a Metrics Insights query over the same schema as the dashboard's SEARCH.
   */
  private erasureTotal(metricName: ErasureMetricName): IMetric {
    const dimensions = ERASURE_METRIC_DIMENSIONS[metricName];
    if (dimensions.length === 0) {
      return new Metric({ ...SUM, namespace: this.props.metricsNamespace, metricName, dimensionsMap: { service: this.props.serviceName } });
    }
    const schema = `SCHEMA("${this.props.metricsNamespace}", ${[...dimensions, 'service'].sort().join(', ')})`;
    return new MathExpression({
      expression: `SELECT SUM(${metricName}) FROM ${schema} WHERE service = '${this.props.serviceName}'`,
      usingMetrics: {},
      label: metricName,
      period: PERIOD,
    });
  }

  /** A sweep gauge (the sweep publishes each open state every 5 minutes) for one state. */
  private openErasureGauge(metricName: 'OpenErasures' | 'OldestOpenErasureAge', state: string): IMetric {
    return new Metric({
      ...MAXIMUM,
      namespace: this.props.metricsNamespace,
      metricName,
      dimensionsMap: { service: this.props.serviceName, state },
    });
  }

  private schema(dimensions: readonly string[]): string {
    return `{"${this.props.metricsNamespace}",${[...dimensions, 'service'].sort().join(',')}}`;
  }

  private alarmOnAny(id: string, title: string, metric: IMetric, description: string): TitledAlarm {
    return this.alarm(id, title, metric, {
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      description,
      // No invocations (or an idle queue, which SQS stops reporting) means nothing went wrong.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  private gaugeAlarm(id: string, title: string, metric: IMetric, options: Omit<AlarmOptions, 'treatMissingData'>): TitledAlarm {
    // A period the sweep missed (a busy queue delays it) keeps the alarm as it was, rather than
    // clearing it until the next sweep.
    return this.alarm(id, title, metric, { ...options, treatMissingData: TreatMissingData.IGNORE });
  }

  private alarm(id: string, title: string, metric: IMetric, options: AlarmOptions): TitledAlarm {
    const alarm = new Alarm(this, id, {
      metric,
      alarmDescription: options.description,
      threshold: options.threshold,
      evaluationPeriods: 1,
      comparisonOperator: options.comparisonOperator,
      treatMissingData: options.treatMissingData,
    });
    return { alarm, title };
  }
}

interface AlarmOptions {
  readonly threshold: number;
  readonly comparisonOperator: ComparisonOperator;
  /** What the alarm means and what to do. */
  readonly description: string;
  readonly treatMissingData: TreatMissingData;
}

type DeliveryMetricName = 'Deliveries' | 'DeliveryDuration' | 'TodosDeleted' | 'DeletionsQueued';

const SUM = { period: PERIOD, statistic: Stats.SUM };
const MAXIMUM = { period: PERIOD, statistic: Stats.MAXIMUM };

/** Every delivery metric carries the delivery's dimensions; each lifecycle metric its own. */
const dimensionsOf = (metricName: DeliveryMetricName | ErasureMetricName): readonly string[] =>
  metricName in ERASURE_METRIC_DIMENSIONS ? ERASURE_METRIC_DIMENSIONS[metricName as ErasureMetricName] : DELIVERY_METRIC_DIMENSIONS;

const graph = (title: string, left: IMetric[]): IWidget => new GraphWidget({ title, left, width: WIDGET_WIDTH });

const alarmWidgets = (alarms: readonly TitledAlarm[]): IWidget[] =>
  alarms.map(({ alarm, title }) => new AlarmWidget({ alarm, title, width: WIDGET_WIDTH }));

/** Widgets three to a row, in order. */
function rows(widgets: readonly IWidget[]): IWidget[][] {
  const grouped: IWidget[][] = [];
  for (let start = 0; start < widgets.length; start += PER_ROW) grouped.push(widgets.slice(start, start + PER_ROW));
  return grouped;
}
