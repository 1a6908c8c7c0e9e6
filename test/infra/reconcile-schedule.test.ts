import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { synthesizeApp } from '../support/cdk-app.ts';
import { dashboardOf, resources, statementsOf, textOf } from './template.ts';

const FUSIONAUTH = { fusionAuthUrl: 'https://auth.example.com' };
const ON = { ...FUSIONAUTH, reconcileSchedule: 'cron(0 3 * * ? *)', reconcileMaxMissing: '10%' };
const TARGETS = {
  deletionTargets: JSON.stringify([
    { table: 'Todos', attribute: 'ownerId' },
    { table: 'Notes', index: 'byUser', partitionKey: 'USER#{userId}' },
  ]),
};

const scanStatements = (template: Parameters<typeof statementsOf>[0], id: string) =>
  statementsOf(template, id).filter((statement) => [statement.Action].flat().includes('dynamodb:Scan'));

describe('the scheduled reconcile in the stack', () => {
  it('is off by default: no schedule of its own, no run table, and no function may Scan', () => {
    const { template } = synthesizeApp(FUSIONAUTH);
    template.resourceCountIs('AWS::Scheduler::Schedule', 1); // the sweep
    template.resourceCountIs('AWS::DynamoDB::Table', 2); // the Todos and the ledger
    for (const id of ['WebhookFunction', 'DeletionWorkerFunction']) expect(scanStatements(template, id)).toEqual([]);
    expect(Object.keys(resources(template).DeletionWorkerFunction!.Properties.Environment.Variables).filter((name) => name.startsWith('RECONCILE_'))).toEqual([]);
  });

  it('sends the start job to the job queue on its schedule, and gives the worker its settings and a run table with a TTL', () => {
    const { template } = synthesizeApp(ON);
    const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule'));
    const reconcile = schedules.find((schedule) => schedule.Properties.ScheduleExpression === 'cron(0 3 * * ? *)')!;
    expect(JSON.parse(reconcile.Properties.Target.Input)).toEqual({ kind: 'reconcile-start' });
    expect(textOf(reconcile.Properties.Target.Arn)).toMatch(/^<WebhookErasureWorkerQueue\w+\.Arn>$/);
    const tables = Object.entries(template.findResources('AWS::DynamoDB::Table')).filter(([id]) => id.includes('ReconcileRunTable'));
    expect(tables).toHaveLength(1);
    expect(tables[0]![1].Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'runId', KeyType: 'HASH' }, { AttributeName: 'item', KeyType: 'RANGE' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    expect(resources(template).DeletionWorkerFunction!.Properties.Environment.Variables).toMatchObject({
      RECONCILE_TABLE_NAME: { Ref: tables[0]![0] },
      RECONCILE_MAX_MISSING: '0.1',
      RECONCILE_LOOKUP: 'get',
      RECONCILE_SEGMENTS: '4',
      RECONCILE_RPS: '10',
    });
  });

  it('lets the worker alone Scan, on what the targets read only, and write the run table', () => {
    const { template } = synthesizeApp({ ...ON, ...TARGETS });
    expect(scanStatements(template, 'WebhookFunction')).toEqual([]);
    const [scan] = scanStatements(template, 'DeletionWorkerFunction');
    expect([scan.Action].flat()).toEqual(['dynamodb:Scan']);
    // The table or any of its indexes for `attribute` (only the function can tell which), the named index.
    expect(scan.Resource.map(textOf).map((resource: string) => resource.replace(/^.*:table\//, '')).sort()).toEqual(['Notes/index/byUser', 'Todos', 'Todos/index/*']);
    const runTable = statementsOf(template, 'DeletionWorkerFunction').find((statement) => [statement.Action].flat().includes('dynamodb:BatchWriteItem') && JSON.stringify(statement.Resource).includes('ReconcileRunTable'));
    expect([runTable.Action].flat().sort()).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
  });

  it('alarms when a run refuses, and shows a row of its own on the dashboard', () => {
    const { template } = synthesizeApp(ON);
    const alarm = Object.values(template.findResources('AWS::CloudWatch::Alarm')).find((candidate) => candidate.Properties.MetricName === 'ReconcileRunsRefused');
    expect(alarm?.Properties).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', Dimensions: [{ Name: 'service', Value: 'passport-webhook' }] });
    const titles = dashboardOf(template).widgets.map((widget) => widget.properties.title);
    expect(titles).toEqual(expect.arrayContaining(['Reconcile runs refused', 'Reconcile: users checked and missing', 'Reconcile: users erased', 'Reconcile: runs refused']));
  });

  it('passes the cdk-nag checks with reconcile on, on imported targets', () => {
    const { app } = synthesizeApp({ ...ON, ...TARGETS });
    expect(new AwsSolutionsChecks().validateScope(app)).toEqual({ success: true, violations: [] });
  });

  it.each([
    [{ reconcileSchedule: 'rate(1 day)' }, 'reconcile needs fusionAuth'],
    [{ ...FUSIONAUTH, reconcileMaxMissing: '20%' }, 'Context "reconcileMaxMissing" is set, but "reconcileSchedule" is not'],
    [{ ...FUSIONAUTH, reconcileSchedule: 'daily' }, 'must be a schedule expression'],
    [{ ...ON, reconcileMaxMissing: '120%' }, 'max-missing must be a percentage from 0% to 100%'],
    [{ ...ON, reconcileLookup: 'scan' }, 'Context "reconcileLookup" must be one of get, search'],
  ])('refuses %j', (context, message) => {
    expect(() => synthesizeApp(context)).toThrow(message);
  });
});
