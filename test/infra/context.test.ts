import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { webhookPropsFromContext } from '../../infra/context.ts';
import { onlyResource, synthesizeApp } from '../support/cdk-app.ts';
import { resources, statementsOf } from './template.ts';

const secretArn = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:passport/${name}-AbC123`;
const API_KEY_SECRET_ARN = secretArn('api-key');
const SIGNING_KEY_SECRET_ARN = secretArn('signing-key');
const BASIC_AUTH_SECRET_ARN = secretArn('basic');
const FUSIONAUTH_KEY_SECRET_ARN = secretArn('fusionauth-key');
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:webhook-alarms';
const FUSIONAUTH_URL = 'https://auth.example.com';
const JWKS_URL = 'https://auth.example.com/.well-known/jwks.json';

/**
 * Every key docs/deploy.md lists but `deletionTargets` and the reconcile keys (tested on their own),
 * strings as `-c key=value` passes them, numbers as cdk.json may.
 */
const EVERY_KEY = {
  todoTableName: 'ExistingTodos',
  todoUserIdAttribute: 'ownerId',
  todoSortKeyAttribute: 'itemId',
  todoApplicationId: '10000000-0000-0002-0000-000000000001',
  auth: 'api-key,signature,basic',
  apiKeyHeader: 'X-API-Key',
  apiKeySecretArn: API_KEY_SECRET_ARN,
  signingKeySecretArn: SIGNING_KEY_SECRET_ARN,
  jwksUrl: JWKS_URL,
  signatureAlgorithms: 'HS512,RS256',
  basicAuthSecretArn: BASIC_AUTH_SECRET_ARN,
  secretCacheSeconds: '120',
  fusionAuthUrl: FUSIONAUTH_URL,
  fusionAuthApiKeySecretArn: FUSIONAUTH_KEY_SECRET_ARN,
  confirmDelaySeconds: '20',
  confirmWindowSeconds: 7200,
  erasureRetentionDays: '730',
  secondPassSeconds: '600',
  indexSettleMs: '500',
  eraseBeforeCommit: 'false',
  deleteBudgetMs: '2500',
  workerTimeoutSeconds: '600',
  workerMemorySize: 1024,
  maxReceiveCount: '3',
  workerMaxConcurrency: '4',
  memorySize: '1024',
  timeoutSeconds: '20',
  throttleRateLimit: '10',
  throttleBurstLimit: 20,
  waf: 'true',
  allowedSources: '203.0.113.10, 198.51.100.0/24,2001:db8::/32',
  perSourceLimit: '12000',
  perSourceWindowSeconds: 300,
  apiGatewayAccountLoggingRole: false,
  logLevel: 'DEBUG',
  logRetentionDays: '90',
  alarmTopicArn: TOPIC_ARN,
  serviceName: 'todo-webhook',
  metricsNamespace: 'Todos',
  dashboardName: 'todo-webhook',
  sourceMaps: 'true',
};

/** The keys of the targets form, which replaces the todoTable* shorthand of EVERY_KEY. */
const TARGETS = [
  { table: 'Todos', attribute: 'ownerId', on: ['user'] },
  { table: 'Notes', index: 'byUser', partitionKey: 'USER#{userId}', sortKeyPrefixes: ['NOTE#'] },
  { table: 'Todos', partitionKey: 'TENANT#{tenantId}', sortKeyPrefixes: ['USER#{userId}#'], lowerCase: true },
];

/**
 * The keys the stack asks CDK context for, as it asks them: every `tryGetContext` call that
 * webhookPropsFromContext makes, with no context (every key read, to find it unset) and with
 * every key set (the keys read only once another is set). Derived from the code, not listed
 * here, so a key added to infra/context.ts cannot be missing from the docs unnoticed.
 */
function contextKeysRead(): { live: string[]; retired: string[] } {
  const asked = (context: Record<string, unknown>): string[] => {
    const stack = new Stack(new App({ context }), 'Keys');
    const keys: string[] = [];
    const tryGetContext = stack.node.tryGetContext.bind(stack.node);
    stack.node.tryGetContext = (key: string) => {
      keys.push(key);
      return tryGetContext(key);
    };
    webhookPropsFromContext(stack);
    return keys;
  };
  const everyKey = { ...EVERY_KEY, reconcileSchedule: 'rate(1 day)', reconcileMaxMissing: '5%', reconcileLookup: 'get', reconcileSegments: '2', reconcileRequestsPerSecond: '5' };
  // CDK reads its own keys too while the props import resources (feature flags such as
  // `@aws-cdk/core:enablePartitionLiterals`): those are CDK's, not the stack's settings.
  const keys = [...new Set([...asked({}), ...asked(everyKey)])].filter((key) => !key.includes(':'));
  // A retired key is one whose mere presence the stack refuses, saying it is no longer read.
  const isRetired = (key: string) => {
    try {
      asked({ [key]: 'x' });
      return false;
    } catch (error) {
      return /is no longer read/.test((error as Error).message);
    }
  };
  return { live: keys.filter((key) => !isRetired(key)).sort(), retired: keys.filter(isRetired).sort() };
}

describe('docs/deploy.md', () => {
  const docs = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
  const start = docs.indexOf('\n## CDK context keys');
  const contextSection = docs.slice(start, docs.indexOf('\n## ', start + 1));
  let live: string[];
  let retired: string[];
  beforeAll(() => {
    ({ live, retired } = contextKeysRead());
  });

  it('is checked against keys the stack really reads', () => {
    // Without these the comparison below could pass on two empty lists.
    expect(live).toEqual(expect.arrayContaining(['deletionTargets', 'fusionAuthUrl', 'reconcileSchedule', 'reconcileLookup', 'auth']));
    expect(retired).toEqual(['dedupe', 'dedupeWindowSeconds']);
    // A fixture key the stack does not read would test nothing.
    expect(Object.keys(EVERY_KEY).filter((key) => !live.includes(key))).toEqual([]);
  });

  it('covers exactly the keys the stack reads, one table row each, and no other', () => {
    expect(start).toBeGreaterThan(0);
    const documented = [...contextSection.matchAll(/^\| `(\w+)` \|/gm)].map(([, key]) => key!);
    expect(documented.sort()).toEqual(live);
  });

  it('names the retired keys the stack refuses', () => {
    for (const key of retired) expect(contextSection).toContain(`\`${key}\``);
  });
});

describe('the stack reads its settings from CDK context', () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = synthesizeApp(EVERY_KEY));
  });
  const fn = () => resources(template).WebhookFunction!.Properties;
  const worker = () => resources(template).DeletionWorkerFunction!.Properties;
  const outputs = () => template.toJSON().Outputs as Record<string, { Value: any }>;

  it('uses an existing table by name, with its key attribute names', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1); // the erasure ledger
    for (const variables of [fn().Environment.Variables, worker().Environment.Variables]) {
      expect(variables).toMatchObject({
        TODO_TABLE_NAME: 'ExistingTodos',
        TODO_USER_ID_ATTRIBUTE: 'ownerId',
        TODO_SORT_KEY_ATTRIBUTE: 'itemId',
        DELETION_TARGETS: '',
      });
    }
    for (const id of ['WebhookFunction', 'DeletionWorkerFunction']) {
      const erasure = statementsOf(template, id).find((statement) => statement.Action.includes('dynamodb:BatchWriteItem'));
      expect(JSON.stringify(erasure.Resource)).toMatch(/:table\/ExistingTodos"\]\]\}$/);
    }
    expect(outputs().TodoTableName!.Value).toBe('ExistingTodos');
  });

  it('confirms through FusionAuth\'s API with the existing key secret, which only the worker reads', () => {
    for (const variables of [fn().Environment.Variables, worker().Environment.Variables]) {
      expect(variables).toMatchObject({ FUSIONAUTH_URL, FUSIONAUTH_API_KEY_SECRET_ARN: FUSIONAUTH_KEY_SECRET_ARN });
    }
    expect(statementsOf(template, 'DeletionWorkerFunction')).toContainEqual({
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: FUSIONAUTH_KEY_SECRET_ARN,
    });
    expect(JSON.stringify(statementsOf(template, 'WebhookFunction'))).not.toContain(FUSIONAUTH_KEY_SECRET_ARN);
    // The secret is theirs: no placeholder to replace, so no command to replace it.
    expect(Object.keys(outputs())).not.toContain('PutFusionAuthApiKeyCommand');
  });

  it('gives both functions the erasure settings, and the webhook whether to erase before the commit', () => {
    for (const variables of [fn().Environment.Variables, worker().Environment.Variables]) {
      expect(variables).toMatchObject({
        ERASURE_CONFIRM_DELAY_SECONDS: '20',
        ERASURE_CONFIRM_WINDOW_SECONDS: '7200',
        ERASURE_RETENTION_DAYS: '730',
        ERASURE_SECOND_PASS_SECONDS: '600',
        INDEX_SETTLE_MS: '500',
      });
    }
    expect(fn().Environment.Variables.ERASE_BEFORE_COMMIT).toBe('false');
  });

  it('alarms on a request older than the window it was given and a last look', () => {
    const [oldest] = Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'OldestOpenErasureAge' } }));
    expect(oldest!.Properties.Threshold).toBe(7200 + 900);
  });

  it('checks every auth mode, with existing secrets by ARN, and reads only those secrets', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(fn().Environment.Variables).toMatchObject({
      WEBHOOK_AUTH: 'api-key,signature,basic',
      WEBHOOK_API_KEY_HEADER: 'X-API-Key',
      API_KEY_SECRET_ARN: API_KEY_SECRET_ARN,
      SIGNING_KEY_SECRET_ARN: SIGNING_KEY_SECRET_ARN,
      WEBHOOK_JWKS_URL: JWKS_URL,
      WEBHOOK_SIGNATURE_ALGORITHMS: 'HS512,RS256',
      BASIC_AUTH_SECRET_ARN: BASIC_AUTH_SECRET_ARN,
      SECRET_CACHE_SECONDS: '120',
    });
    expect(statementsOf(template, 'WebhookFunction')).toContainEqual({
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: [API_KEY_SECRET_ARN, BASIC_AUTH_SECRET_ARN, SIGNING_KEY_SECRET_ARN],
    });
  });

  it('names the existing secrets in the outputs, with the commands that print the key and the signing secret', () => {
    expect(outputs().ApiKeySecretName!.Value).toBe('passport/api-key');
    expect(outputs().GetApiKeyCommand!.Value['Fn::Join'][1].join('')).toContain(`--secret-id ${API_KEY_SECRET_ARN} --query`);
    expect(outputs().SigningKeySecretName!.Value).toBe('passport/signing-key');
    expect(outputs().SigningKeySecretArn!.Value).toBe(SIGNING_KEY_SECRET_ARN);
    expect(outputs().GetSigningKeyCommand!.Value['Fn::Join'][1].join('')).toContain(`--secret-id ${SIGNING_KEY_SECRET_ARN} --query`);
  });

  it('sizes both functions, names the Todo application, and sets the deletion budget', () => {
    expect(fn()).toMatchObject({ MemorySize: 1024, Timeout: 20 });
    expect(fn().Environment.Variables).toMatchObject({
      TODO_APPLICATION_ID: '10000000-0000-0002-0000-000000000001',
      DELETE_BUDGET_MS: '2500',
    });
    expect(worker()).toMatchObject({ MemorySize: 1024, Timeout: 600 });
  });

  it('sets up the queue and its event source', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 3600, RedrivePolicy: { maxReceiveCount: 3 } });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 4 } });
  });

  it('throttles the stage and keeps logs as long as asked', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [{ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 }],
    });
    const logGroups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    expect(logGroups.map((group) => group.Properties.RetentionInDays)).toEqual([90, 90, 90]);
  });

  it('gives Powertools the service name, namespace and log level, and the dashboard the same namespace', () => {
    for (const variables of [fn().Environment.Variables, worker().Environment.Variables]) {
      expect(variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'todo-webhook',
        POWERTOOLS_METRICS_NAMESPACE: 'Todos',
        POWERTOOLS_LOG_LEVEL: 'DEBUG',
      });
    }
    const dashboard = onlyResource(template, 'AWS::CloudWatch::Dashboard').Properties;
    expect(dashboard.DashboardName).toBe('todo-webhook');
    expect(JSON.stringify(dashboard.DashboardBody)).toContain('service=\\\\\\"todo-webhook\\\\\\"');
    expect(JSON.stringify(dashboard.DashboardBody)).toContain('{\\\\\\"Todos\\\\\\",eventType,outcome,service}');
    expect(JSON.stringify(dashboard.DashboardBody)).toContain('{\\\\\\"Todos\\\\\\",scope,service}');
  });

  it("lets only FusionAuth's egress addresses call, by WAF and by the resource policy, and limits each source as asked", () => {
    const ipSets = Object.values(template.findResources('AWS::WAFv2::IPSet')).map((set) => [set.Properties.IPAddressVersion, set.Properties.Addresses]);
    expect(ipSets).toEqual([
      ['IPV4', ['203.0.113.10/32', '198.51.100.0/24']],
      ['IPV6', ['2001:db8::/32']],
    ]);
    const rules = onlyResource(template, 'AWS::WAFv2::WebACL').Properties.Rules;
    expect(rules.map((rule: { Name: string }) => rule.Name)).toEqual(['AllowedSources', 'PerSourceRateLimit']);
    expect(rules[1].Statement.RateBasedStatement).toEqual({ AggregateKeyType: 'IP', Limit: 12000, EvaluationWindowSec: 300 });
    expect(onlyResource(template, 'AWS::ApiGateway::RestApi').Properties.Policy.Statement[0].Condition).toEqual({
      IpAddress: { 'aws:SourceIp': ['203.0.113.10/32', '198.51.100.0/24', '2001:db8::/32'] },
    });
    // The account's API Gateway logging role is someone else's.
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    const [alarm] = Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'BlockedRequests' } })).filter((found) =>
      JSON.stringify(found.Properties.Dimensions).includes('AllowedSources'),
    );
    expect(alarm!.Properties).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', Statistic: 'Sum' });
  });

  it('notifies the alarm topic when an alarm goes off and when it clears', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    // With the allow-list, its refusals have an alarm of their own.
    expect(alarms).toHaveLength(14);
    for (const alarm of alarms) {
      expect(alarm.Properties).toMatchObject({ AlarmActions: [TOPIC_ARN], OKActions: [TOPIC_ARN] });
    }
  });
});

describe('deletion targets from context', () => {
  const targetsOf = (variables: Record<string, any>) => JSON.parse(variables.DELETION_TARGETS);

  it.each([
    ['a JSON string, as -c passes it', JSON.stringify(TARGETS)],
    ['an array, as cdk.json holds it', TARGETS],
  ])('take %s, each table imported by name once, and reach both functions as given', (_, deletionTargets) => {
    const { template } = synthesizeApp({ deletionTargets });
    const variables = (id: string) => resources(template)[id]!.Properties.Environment.Variables;
    for (const id of ['WebhookFunction', 'DeletionWorkerFunction']) {
      expect(targetsOf(variables(id))).toEqual(TARGETS);
      expect(variables(id)).toMatchObject({ TODO_TABLE_NAME: '', TODO_USER_ID_ATTRIBUTE: '', TODO_SORT_KEY_ATTRIBUTE: '' });
    }
    // Only the ledger: the targets' tables exist already.
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    expect(Object.keys(template.toJSON().Outputs)).not.toContain('TodoTableName');
  });

  it.each<[string, unknown, RegExp]>([
    ['not JSON', '[{table: Todos}]', /"deletionTargets" must be a JSON array of deletion targets/],
    ['no target', '[]', /"deletionTargets": DELETION_TARGETS must be a non-empty array/],
    ['a target without a table', [{ index: 'byUser' }], /"deletionTargets": DELETION_TARGETS\[0\].table must be a non-empty string/],
    ['a field a target does not take', [{ table: 'Todos', tableName: 'Todos' }], /DELETION_TARGETS\[0\] has "tableName"/],
    ['a constant partition key', [{ table: 'Todos', partitionKey: 'ALL' }], /partitionKey "ALL" is a constant/],
  ])('refuse %s, with the runtime\'s message', (_, deletionTargets, message) => {
    expect(() => synthesizeApp({ deletionTargets })).toThrow(message);
  });

  it('refuse targets with the todoTable* shorthand', () => {
    expect(() => synthesizeApp({ deletionTargets: TARGETS, todoTableName: 'Todos' })).toThrow(/set targets or todoTable, not both/);
  });
});

describe('FusionAuth from context', () => {
  it('creates a key secret for the URL alone, and outputs the command that writes the key into it', () => {
    const { template } = synthesizeApp({ fusionAuthUrl: FUSIONAUTH_URL });
    const outputs = template.toJSON().Outputs as Record<string, { Value: any }>;
    const secretId = Object.keys(template.findResources('AWS::SecretsManager::Secret')).find((id) => id.includes('FusionAuthApiKeySecret'))!;
    expect(outputs.FusionAuthApiKeySecretArn!.Value).toEqual({ Ref: secretId });
    expect(outputs.PutFusionAuthApiKeyCommand!.Value).toEqual({
      'Fn::Join': [
        '',
        ['aws secretsmanager put-secret-value --secret-id ', { Ref: secretId }, ' --secret-string "$FUSIONAUTH_CONFIRMATION_KEY" --region ', { Ref: 'AWS::Region' }],
      ],
    });
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['a key secret without the URL', { fusionAuthApiKeySecretArn: FUSIONAUTH_KEY_SECRET_ARN }, /"fusionAuthApiKeySecretArn" is set, but "fusionAuthUrl" is not/],
    ['a partial key secret ARN', { fusionAuthUrl: FUSIONAUTH_URL, fusionAuthApiKeySecretArn: 'passport/fusionauth-key' }, /"fusionAuthApiKeySecretArn" must be a secret's complete ARN/],
    ['a URL over plain HTTP', { fusionAuthUrl: 'http://auth.example.com' }, /fusionAuth.url must be an https URL/],
  ])('refuse %s', (_, context, message) => {
    expect(() => synthesizeApp(context)).toThrow(message);
  });
});

describe('context values', () => {
  it('count as unset when empty', () => {
    const { template } = synthesizeApp({ todoTableName: '', apiKeySecretArn: ' ', auth: '', deletionTargets: '', fusionAuthUrl: '' });
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
  });

  it('take lists and booleans as cdk.json writes them', () => {
    const { template } = synthesizeApp({ auth: ['api-key', 'signature'], signatureAlgorithms: ['HS384'], eraseBeforeCommit: true });
    const variables = resources(template).WebhookFunction!.Properties.Environment.Variables;
    expect(variables).toMatchObject({ WEBHOOK_AUTH: 'api-key,signature', WEBHOOK_SIGNATURE_ALGORITHMS: 'HS384', ERASE_BEFORE_COMMIT: 'true' });
    // The API key and a generated signing secret.
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    expect(Object.keys(template.toJSON().Outputs)).toEqual(expect.arrayContaining(['SigningKeySecretName', 'GetSigningKeyCommand']));
  });

  it.each([
    ['dedupe', 'false'],
    ['dedupe', false],
    ['dedupeWindowSeconds', '86400'],
  ])('refuse %s, which is no longer read, saying so', (key, value) => {
    expect(() => synthesizeApp({ [key]: value })).toThrow(new RegExp(`Context "${key}" is no longer read: the erasure ledger dedupes every event by its id.*Remove it`));
  });

  it('leave out the API key outputs when no API key is checked', () => {
    const { template } = synthesizeApp({ auth: 'signature', jwksUrl: JWKS_URL });
    const outputs = Object.keys(template.toJSON().Outputs);
    expect(outputs).not.toContain('ApiKeySecretArn');
    expect(outputs).not.toContain('GetSigningKeyCommand');
    expect(outputs).toContain('WebhookUrl');
  });

  it.each([
    ['memorySize', 'lots', /"memorySize" must be a whole number from 128 to 10240/],
    ['timeoutSeconds', '29', /"timeoutSeconds" must be a whole number from 1 to 28/],
    ['perSourceLimit', '9', /"perSourceLimit" must be a whole number from 10 to 2000000000/],
    ['perSourceWindowSeconds', '180', /"perSourceWindowSeconds" must be one of 60, 120, 300, 600/],
    ['waf', 'no', /"waf" must be true or false/],
    ['apiGatewayAccountLoggingRole', 'yes', /"apiGatewayAccountLoggingRole" must be true or false/],
    ['throttleBurstLimit', '-1', /"throttleBurstLimit" must be a whole number/],
    ['logLevel', 'LOUD', /"logLevel" must be one of .*DEBUG/],
    ['logRetentionDays', '45', /"logRetentionDays" must be one of .*30, 60, 90/],
    ['apiKeySecretArn', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:passport/api-key', /"apiKeySecretArn" must be a secret's complete ARN/],
    ['signingKeySecretArn', 'passport/signing-key', /"signingKeySecretArn" must be a secret's complete ARN/],
    ['basicAuthSecretArn', 'passport/basic', /"basicAuthSecretArn" must be a secret's complete ARN/],
    ['auth', 'api-key,oauth', /"auth" must be a comma-separated list of api-key, signature, basic/],
    ['signatureAlgorithms', 'none', /"signatureAlgorithms" must be a comma-separated list of HS256, .*Ed25519/],
    ['secretCacheSeconds', '0', /"secretCacheSeconds" must be a whole number from 1 to 3600/],
    ['fusionAuthApiKeySecretArn', 'passport/key', /"fusionAuthApiKeySecretArn" must be a secret's complete ARN/],
    ['confirmDelaySeconds', '901', /"confirmDelaySeconds" must be a whole number from 0 to 900/],
    ['confirmWindowSeconds', '172801', /"confirmWindowSeconds" must be a whole number from 1 to 172800/],
    ['erasureRetentionDays', '0', /"erasureRetentionDays" must be a whole number of at least 1/],
    ['secondPassSeconds', '3600', /"secondPassSeconds" must be a whole number from 0 to 900/],
    ['indexSettleMs', '-1', /"indexSettleMs" must be a whole number from 0 to 900000/],
    ['eraseBeforeCommit', 'yes', /"eraseBeforeCommit" must be true or false/],
    ['deleteBudgetMs', '-1', /"deleteBudgetMs" must be a whole number from 0 to 29000/],
    ['workerTimeoutSeconds', '5', /"workerTimeoutSeconds" must be a whole number from 15 to 900/],
    ['workerMemorySize', '64', /"workerMemorySize" must be a whole number from 128 to 10240/],
    ['maxReceiveCount', '0', /"maxReceiveCount" must be a whole number from 1 to 1000/],
    ['workerMaxConcurrency', '1', /"workerMaxConcurrency" must be a whole number from 2 to 1000/],
  ])('refuse an invalid %s, naming the key', (key, value, message) => {
    expect(() => synthesizeApp({ [key]: value })).toThrow(message);
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['basic without its secret', { auth: 'basic' }, /'basic' needs basicAuthSecret/],
    ['api-key and basic in one header', { auth: 'api-key,basic', basicAuthSecretArn: BASIC_AUTH_SECRET_ARN }, /set apiKeyHeader to another header/],
    ['a JWKS URL with signature off', { jwksUrl: JWKS_URL }, /modes does not include 'signature'/],
    ['a budget past the timeout', { timeoutSeconds: '5', deleteBudgetMs: '5000' }, /inlineBudget \(5 seconds\) must be shorter than lambda.timeout/],
    ['an index settle past the worker\'s timeout', { workerTimeoutSeconds: '15', indexSettleMs: '10000' }, /erasure.indexSettle \(10 seconds\) must be shorter than deletion.workerTimeout/],
  ])('refuse %s, as the construct does', (_, context, message) => {
    expect(() => synthesizeApp(context)).toThrow(message);
  });
});
