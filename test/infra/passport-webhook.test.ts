import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { HMAC_ALGORITHMS, PUBLIC_KEY_ALGORITHMS } from '../../lambda/auth/signature-algorithms.ts';
import { AUTH_MODES, readWebhookConfig } from '../../lambda/config.ts';
import { readErasureConfig, requireSecureUrl } from '../../lambda/erasure/erasure-config.ts';
import {
  type DeletionTargetProps,
  FUSIONAUTH_API_KEY_PLACEHOLDER,
  HMAC_SIGNATURE_ALGORITHMS,
  PassportWebhook,
  type PassportWebhookProps,
  PUBLIC_KEY_SIGNATURE_ALGORITHMS,
  WEBHOOK_AUTH_MODES,
  type WebhookAuthMode,
} from '../../infra/index.ts';
import { checkSecureUrl } from '../../infra/secure-url.ts';
import { arn, idOf, ref, resources, statementsOf, textOf } from './template.ts';

const JWKS_URL = 'https://auth.example.com/.well-known/jwks.json';
const FUSIONAUTH_URL = 'https://auth.example.com';

/** Another team's app: its own stack, no cdk.json of ours, bundling skipped. */
function inAnotherApp(define: (stack: Stack) => PassportWebhookProps = () => ({})) {
  const app = new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'TheirStack');
  const webhook = new PassportWebhook(stack, 'Webhook', define(stack));
  const template = Template.fromStack(stack);
  const webhookId = idOf(template, 'AWS::Lambda::Function', /^WebhookFunction[0-9A-F]{8}$/);
  const workerId = idOf(template, 'AWS::Lambda::Function', /^WebhookErasureWorkerFunction[0-9A-F]{8}$/);
  const variables = (id: string) => resources(template)[id]!.Properties.Environment.Variables as Record<string, unknown>;
  return {
    webhook,
    template,
    /** The webhook function's environment. */
    environment: () => variables(webhookId),
    workerEnvironment: () => variables(workerId),
    webhookStatements: () => statementsOf(template, webhookId),
    workerStatements: () => statementsOf(template, workerId),
    workerId,
  };
}

/** The GetSecretValue statements of a policy, one resource each. */
const secretReads = (statements: any[]) =>
  statements.filter((statement) => statement.Action === 'secretsmanager:GetSecretValue').flatMap((statement) => [statement.Resource].flat());

/** The resources of the statements that allow `action`, alone or among others. */
const resourcesAllowed = (statements: any[], action: string) =>
  statements.filter((statement) => [statement.Action].flat().includes(action)).flatMap((statement) => [statement.Resource].flat());

/** A table's ARN as `Table.fromTableName` renders it, with `suffix` (an index) appended. */
const importedTableArn = (name: string, suffix = '') => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:table/${name}${suffix}`]],
});
const indexArn = (tableId: string, index: string) => ({ 'Fn::Join': ['', [arn(tableId), `/index/${index}`]] });

/** A table of the app, keyed `pk` / `sk`, with a global secondary index `byOwner` on `ownerId`. */
function ownTable(stack: Stack, id = 'Todos', sortKeyType = AttributeType.STRING): Table {
  const table = new Table(stack, id, {
    partitionKey: { name: 'pk', type: AttributeType.STRING },
    sortKey: { name: 'sk', type: sortKeyType },
  });
  table.addGlobalSecondaryIndex({ indexName: 'byOwner', partitionKey: { name: 'ownerId', type: AttributeType.STRING } });
  return table;
}

describe('PassportWebhook, from the package exports', () => {
  it('takes a shorthand table of the same app and grants both functions that table alone, not its indexes', () => {
    const { template, webhookStatements, workerStatements, environment } = inAnotherApp((stack) => {
      const table = new Table(stack, 'Todos', {
        partitionKey: { name: 'owner', type: AttributeType.STRING },
        sortKey: { name: 'id', type: AttributeType.STRING },
      });
      table.addGlobalSecondaryIndex({ indexName: 'byDate', partitionKey: { name: 'date', type: AttributeType.STRING } });
      return { todoTable: { table, userIdAttribute: 'owner', sortKeyAttribute: 'id' } };
    });
    // Theirs, and the erasure ledger.
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
    const todos = idOf(template, 'AWS::DynamoDB::Table', /^Todos/);
    for (const statements of [webhookStatements(), workerStatements()]) {
      expect(statements).toEqual(
        expect.arrayContaining([
          { Effect: 'Allow', Action: ['dynamodb:DescribeTable', 'dynamodb:BatchWriteItem'], Resource: arn(todos) },
          { Effect: 'Allow', Action: 'dynamodb:Query', Resource: arn(todos) },
        ]),
      );
    }
    expect(environment()).toMatchObject({ TODO_TABLE_NAME: ref(todos), TODO_USER_ID_ATTRIBUTE: 'owner', TODO_SORT_KEY_ATTRIBUTE: 'id', DELETION_TARGETS: '' });
  });

  it('finds the index of a shorthand table whose partition key is not the user id, and grants Query on that index alone', () => {
    const { template, webhookStatements } = inAnotherApp((stack) => ({ todoTable: { table: ownTable(stack), userIdAttribute: 'ownerId' } }));
    const todos = idOf(template, 'AWS::DynamoDB::Table', /^Todos/);
    expect(resourcesAllowed(webhookStatements(), 'dynamodb:Query')).toEqual([indexArn(todos, 'byOwner')]);
  });

  it('lets the function decrypt a secret kept under a customer managed key', () => {
    const { webhookStatements } = inAnotherApp((stack) => ({
      auth: { apiKeySecret: new Secret(stack, 'Key', { encryptionKey: new Key(stack, 'SecretKey') }) },
    }));
    expect(webhookStatements()).toContainEqual({
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^SecretKey/), 'Arn'] },
    });
  });

  it('can be used twice in one stack: it fixes no physical name or logical id', () => {
    const app = new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'TwoWebhooks');
    new PassportWebhook(stack, 'Production');
    new PassportWebhook(stack, 'Staging');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 4);
    template.resourceCountIs('AWS::SQS::Queue', 4);
    template.resourceCountIs('AWS::Scheduler::Schedule', 2);
    template.resourceCountIs('AWS::DynamoDB::Table', 4);
  });

  it('exposes the URL, tables, secrets, worker, queues, schedule and alarms for the app to wire further', () => {
    const { webhook } = inAnotherApp(() => ({ fusionAuth: { url: FUSIONAUTH_URL } }));
    expect(webhook.webhookUrl).toMatch(/\/passport-webhook$/);
    expect(webhook.monitoring.alarms).toHaveLength(13);
    expect(webhook.api.url).toBe(webhook.webhookUrl);
    expect(webhook.api.webAcl?.attrArn).toBeDefined();
    expect(webhook.todoTable?.tableName).toBeDefined();
    expect(webhook.todoTables).toEqual([webhook.todoTable]);
    expect(webhook.ledgerTable.tableName).toBeDefined();
    expect(webhook.apiKeySecret?.secretArn).toBeDefined();
    expect(webhook.fusionAuthApiKeySecret?.secretArn).toBeDefined();
    expect(webhook.signingKeySecret).toBeUndefined();
    expect(webhook.basicAuthSecret).toBeUndefined();
    expect(webhook.erasureWorker.queue.queueUrl).toBeDefined();
    expect(webhook.erasureWorker.deadLetterQueue.queueArn).toBeDefined();
    expect(webhook.erasureWorker.worker.functionArn).toBeDefined();
    expect(webhook.erasureWorker.sweepSchedule.scheduleArn).toBeDefined();
  });

  it('refuses a timeout API Gateway would cut short', () => {
    const tooLong = () => inAnotherApp(() => ({ lambda: { timeout: Duration.seconds(29) } }));
    expect(tooLong).toThrow(/below the REST API's 29 seconds/);
  });
});

describe('targets', () => {
  /** A target reading an index of a table of the app, and one on an imported table. */
  const twoTables = (stack: Stack) => {
    const todos = ownTable(stack);
    const notes = Table.fromTableName(stack, 'Notes', 'Notes');
    const targets: DeletionTargetProps[] = [
      { table: todos, index: 'byOwner' },
      { table: notes, partitionKey: 'TENANT#{tenantId}', sortKeyPrefixes: ['USER#{userId}#'], on: ['user'] },
    ];
    return { targets };
  };

  it('gives both functions DELETION_TARGETS, which reads back as the targets with their table names', () => {
    const { template, webhook, environment, workerEnvironment } = inAnotherApp(twoTables);
    const todos = idOf(template, 'AWS::DynamoDB::Table', /^Todos/);
    for (const variables of [environment(), workerEnvironment()]) {
      expect(JSON.parse(textOf(variables.DELETION_TARGETS))).toEqual([
        { table: `<${todos}>`, index: 'byOwner' },
        { table: 'Notes', partitionKey: 'TENANT#{tenantId}', sortKeyPrefixes: ['USER#{userId}#'], on: ['user'] },
      ]);
      expect(variables).toMatchObject({ TODO_TABLE_NAME: '', TODO_USER_ID_ATTRIBUTE: '', TODO_SORT_KEY_ATTRIBUTE: '' });
    }
    // Theirs are given: only the ledger is created.
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
    expect(webhook.todoTable).toBeUndefined();
    expect(webhook.todoTables.map((table) => table.node.id)).toEqual(['Todos', 'Notes']);
  });

  it('grants DescribeTable and BatchWriteItem on each table, and Query on the index alone for the target that reads it', () => {
    const { template, webhookStatements, workerStatements } = inAnotherApp(twoTables);
    const todos = idOf(template, 'AWS::DynamoDB::Table', /^Todos/);
    const ledger = idOf(template, 'AWS::DynamoDB::Table', /ErasureLedger/);
    const targetGrants = [
      {
        Effect: 'Allow',
        Action: ['dynamodb:DescribeTable', 'dynamodb:BatchWriteItem'],
        Resource: [arn(todos), importedTableArn('Notes')],
      },
      { Effect: 'Allow', Action: 'dynamodb:Query', Resource: [indexArn(todos, 'byOwner'), importedTableArn('Notes')] },
    ];
    expect(webhookStatements()).toEqual(expect.arrayContaining(targetGrants));
    expect(resourcesAllowed(webhookStatements(), 'dynamodb:Query')).toEqual([indexArn(todos, 'byOwner'), importedTableArn('Notes')]);
    // The worker also queries the ledger's index of open requests, for the sweep.
    expect(workerStatements()).toEqual(expect.arrayContaining(targetGrants));
    expect(resourcesAllowed(workerStatements(), 'dynamodb:Query')).toEqual([
      indexArn(todos, 'byOwner'),
      importedTableArn('Notes'),
      indexArn(ledger, 'byOpenState'),
    ]);
    for (const statements of [webhookStatements(), workerStatements()]) {
      expect(statements.flatMap((statement) => [statement.Action].flat())).not.toContain('dynamodb:*');
      expect(statements.flatMap((statement) => [statement.Resource].flat())).not.toContain('*');
    }
  });

  it('on an imported table, grants Query on the index named, or with `attribute` on the table and its indexes', () => {
    const { webhookStatements } = inAnotherApp((stack) => ({
      targets: [
        { table: Table.fromTableName(stack, 'Indexed', 'Indexed'), index: 'byUser' },
        { table: Table.fromTableName(stack, 'ByAttribute', 'ByAttribute'), attribute: 'ownerId' },
      ],
    }));
    expect(resourcesAllowed(webhookStatements(), 'dynamodb:Query')).toEqual([
      importedTableArn('Indexed', '/index/byUser'),
      importedTableArn('ByAttribute'),
      importedTableArn('ByAttribute', '/index/*'),
    ]);
  });

  it('checks an imported table only by what needs no table: an index it may lack passes synth', () => {
    const { webhookStatements } = inAnotherApp((stack) => ({
      targets: [{ table: Table.fromTableName(stack, 'Theirs', 'Theirs'), index: 'maybeMissing' }],
    }));
    expect(resourcesAllowed(webhookStatements(), 'dynamodb:Query')).toEqual([importedTableArn('Theirs', '/index/maybeMissing')]);
  });

  it('reads a TableV2 of the app as it reads a Table', () => {
    const { template, webhookStatements } = inAnotherApp((stack) => {
      const table = new TableV2(stack, 'Global', {
        partitionKey: { name: 'pk', type: AttributeType.STRING },
        globalSecondaryIndexes: [{ indexName: 'byOwner', partitionKey: { name: 'ownerId', type: AttributeType.STRING } }],
      });
      return { targets: [{ table, attribute: 'ownerId' }] };
    });
    const global = idOf(template, 'AWS::DynamoDB::GlobalTable');
    expect(resourcesAllowed(webhookStatements(), 'dynamodb:Query')).toEqual([indexArn(global, 'byOwner')]);
  });

  it.each<[string, (stack: Stack) => PassportWebhookProps, RegExp]>([
    [
      'targets with todoTable',
      (stack) => ({ todoTable: {}, targets: [{ table: ownTable(stack) }] }),
      /set targets or todoTable, not both/,
    ],
    ['no target', () => ({ targets: [] }), /targets: DELETION_TARGETS must be a non-empty array/],
    [
      'an index the table of the app lacks',
      (stack) => ({ targets: [{ table: ownTable(stack), index: 'byDate' }] }),
      /targets: Deletion target TheirStack\/Todos\/byDate: table TheirStack\/Todos has no index byDate \(its indexes: byOwner\)/,
    ],
    [
      'an attribute only a Scan could find',
      (stack) => ({ targets: [{ table: ownTable(stack), attribute: 'email' }] }),
      /is keyed by pk, and no index has email as its partition key, so only a Scan could find a user's items/,
    ],
    [
      'a constant partition key',
      (stack) => ({ targets: [{ table: ownTable(stack), partitionKey: 'TODOS' }] }),
      /partitionKey "TODOS" is a constant: it would erase the same items for every user/,
    ],
    [
      'a sort key prefix that ends with {userId}',
      (stack) => ({ targets: [{ table: ownTable(stack), partitionKey: 'TENANT#{tenantId}', sortKeyPrefixes: ['USER#{userId}'] }] }),
      /sortKeyPrefixes\[0\] "USER#\{userId\}" ends with \{userId\}.*End it with a delimiter/,
    ],
    [
      'sort key prefixes on a numeric sort key',
      (stack) => ({ targets: [{ table: ownTable(stack, 'Todos', AttributeType.NUMBER), sortKeyPrefixes: ['TODO#'] }] }),
      /the sort key sk is a number, which begins_with cannot match/,
    ],
    [
      'a field a target does not take',
      (stack) => ({ targets: [{ table: ownTable(stack), sortKey: 'x' } as DeletionTargetProps] }),
      /has "sortKey"; a target takes table, index/,
    ],
    [
      'a shorthand sort key the table of the app does not have',
      (stack) => ({ todoTable: { table: ownTable(stack), userIdAttribute: 'pk', sortKeyAttribute: 'todoId' } }),
      /todoTable: TODO_SORT_KEY_ATTRIBUTE is todoId, but table TheirStack\/Todos's sort key is sk/,
    ],
  ])('refuses %s at synth time, with the runtime\'s message', (_, props, message) => {
    expect(() => inAnotherApp(props)).toThrow(message);
  });
});

describe('erasure', () => {
  it('gives both functions the runtime\'s defaults, pinned, and the webhook alone ERASE_BEFORE_COMMIT', () => {
    const { environment, workerEnvironment } = inAnotherApp();
    for (const variables of [environment(), workerEnvironment()]) {
      expect(variables).toMatchObject({
        ERASURE_CONFIRM_DELAY_SECONDS: '10',
        ERASURE_CONFIRM_WINDOW_SECONDS: '3600',
        ERASURE_RETENTION_DAYS: '365',
        ERASURE_SECOND_PASS_SECONDS: '',
        INDEX_SETTLE_MS: '1000',
      });
    }
    expect(environment().ERASE_BEFORE_COMMIT).toBe('false');
    expect(workerEnvironment().ERASE_BEFORE_COMMIT).toBeUndefined();
  });

  it('is read by the runtime as set: both functions start with these settings', () => {
    const { environment, workerEnvironment } = inAnotherApp(() => ({
      todoApplicationId: '10000000-0000-0002-0000-000000000001',
      erasure: {
        confirmDelay: Duration.seconds(30),
        confirmWindow: Duration.hours(6),
        retention: Duration.days(30),
        secondPass: Duration.seconds(0),
        indexSettle: Duration.millis(250),
        eraseBeforeCommit: true,
      },
      fusionAuth: { url: FUSIONAUTH_URL },
      deletion: { inlineBudget: Duration.millis(1500) },
    }));
    const asTheFunctionSees = (variables: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, textOf(value)]));
    const webhook = readWebhookConfig(asTheFunctionSees(environment()));
    const worker = readErasureConfig(asTheFunctionSees(workerEnvironment()));
    expect(webhook).toMatchObject({ eraseBeforeCommit: true, inlineBudgetMs: 1500, deadLetterQueueUrl: undefined });
    // Only a delivery erases inline or before the commit: the worker's settings have neither.
    expect(worker).not.toHaveProperty('eraseBeforeCommit');
    expect(worker).not.toHaveProperty('inlineBudgetMs');
    for (const config of [webhook, worker]) {
      expect(config).toMatchObject({
        settings: {
          confirmDelaySeconds: 30,
          windowSeconds: 6 * 3600,
          retentionSeconds: 30 * 24 * 3600,
          todoApplicationId: '10000000-0000-0002-0000-000000000001',
          secondPassSeconds: 0,
        },
        indexSettleMs: 250,
        fusionAuth: { url: FUSIONAUTH_URL, apiKey: { source: 'secret', maxAgeSeconds: 300 } },
        ledgerTableName: expect.stringMatching(/^<WebhookErasureLedger/),
        queueUrl: expect.stringMatching(/^<WebhookErasureWorkerQueue/),
      });
    }
    expect(worker.deadLetterQueueUrl).toMatch(/^<WebhookErasureWorkerDeadLetterQueue/);
  });

  it.each<[string, PassportWebhookProps, RegExp]>([
    ['a window of three days', { erasure: { confirmWindow: Duration.days(3) } }, /erasure.confirmWindow must be a whole number of seconds, from 1 to 172800; got 259200/],
    ['a window of no time', { erasure: { confirmWindow: Duration.seconds(0) } }, /erasure.confirmWindow must be .* from 1 to 172800; got 0/],
    ['a first look past SQS\'s longest delay', { erasure: { confirmDelay: Duration.minutes(16) } }, /erasure.confirmDelay must be .* from 0 to 900/],
    ['a retention of part of a day', { erasure: { retention: Duration.hours(36) } }, /erasure.retention must be a whole number of days, at least 1; got 1.5/],
    ['a second pass past SQS\'s longest delay', { erasure: { secondPass: Duration.hours(1) } }, /erasure.secondPass must be .* from 0 to 900/],
    [
      'an index settle the worker cannot wait out',
      { erasure: { indexSettle: Duration.seconds(20) }, deletion: { workerTimeout: Duration.seconds(20) } },
      /erasure.indexSettle \(20 seconds\) must be shorter than deletion.workerTimeout \(20 seconds\) less its 5 seconds margin/,
    ],
  ])('refuses %s', (_, props, message) => {
    expect(() => inAnotherApp(() => props)).toThrow(message);
  });
});

describe('fusionAuth', () => {
  it('creates a secret with a placeholder, which only the worker may read; both functions know the URL and the secret', () => {
    const { template, environment, workerEnvironment, webhookStatements, workerStatements } = inAnotherApp(() => ({
      fusionAuth: { url: FUSIONAUTH_URL },
    }));
    const secret = idOf(template, 'AWS::SecretsManager::Secret', /FusionAuthApiKeySecret/);
    expect(resources(template)[secret]!.Properties.SecretString).toBe(FUSIONAUTH_API_KEY_PLACEHOLDER);
    for (const variables of [environment(), workerEnvironment()]) {
      expect(variables).toMatchObject({ FUSIONAUTH_URL, FUSIONAUTH_API_KEY_SECRET_ARN: ref(secret), FUSIONAUTH_API_KEY: '' });
    }
    expect(secretReads(workerStatements())).toEqual([ref(secret)]);
    expect(secretReads(webhookStatements())).not.toContainEqual(ref(secret));
  });

  it('uses an existing secret, and decrypts it with its customer managed key, in the worker only', () => {
    const { template, workerStatements, webhookStatements } = inAnotherApp((stack) => ({
      fusionAuth: { url: FUSIONAUTH_URL, apiKeySecret: new Secret(stack, 'TheirKey', { encryptionKey: new Key(stack, 'TheirCmk') }) },
    }));
    const theirs = ref(idOf(template, 'AWS::SecretsManager::Secret', /^TheirKey/));
    template.resourceCountIs('AWS::SecretsManager::Secret', 2); // theirs, and the webhook's API key
    expect(secretReads(workerStatements())).toEqual([theirs]);
    expect(workerStatements()).toContainEqual({ Effect: 'Allow', Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^TheirCmk/), 'Arn'] } });
    expect(JSON.stringify(webhookStatements())).not.toContain('kms:');
  });

  it('is left out unless asked for: no secret, both functions confirm by .complete events alone', () => {
    const { template, environment, workerEnvironment, workerStatements } = inAnotherApp();
    expect(Object.keys(template.findResources('AWS::SecretsManager::Secret')).filter((id) => id.includes('FusionAuth'))).toEqual([]);
    for (const variables of [environment(), workerEnvironment()]) expect(variables).toMatchObject({ FUSIONAUTH_URL: '', FUSIONAUTH_API_KEY_SECRET_ARN: '' });
    expect(JSON.stringify(workerStatements())).not.toContain('secretsmanager');
  });

  it.each([
    ['plain HTTP', 'http://auth.example.com'],
    ['no URL at all', 'auth.example.com'],
  ])('refuses a URL over %s, as the worker would', (_, url) => {
    expect(() => inAnotherApp(() => ({ fusionAuth: { url } }))).toThrow(/fusionAuth.url must be an https URL \(http only to localhost\)/);
  });

  it.each([
    'https://auth.example.com',
    'http://localhost:9011',
    'http://host.docker.internal:9011',
    'http://auth.example.com',
    'ftp://auth.example.com',
    'not a url',
  ])('judges %s as the runtime does', (url) => {
    const runtime = () => requireSecureUrl(url, 'FUSIONAUTH_URL');
    const construct = () => checkSecureUrl(url, 'fusionAuth.url', 'https://auth.example.com');
    let runtimeRefuses = false;
    try {
      runtime();
    } catch {
      runtimeRefuses = true;
    }
    if (runtimeRefuses) expect(construct).toThrow();
    else expect(construct).not.toThrow();
  });
});

describe('auth', () => {
  it('offers the modes and algorithms the function accepts', () => {
    expect([...WEBHOOK_AUTH_MODES]).toEqual([...AUTH_MODES]);
    expect([...HMAC_SIGNATURE_ALGORITHMS]).toEqual([...HMAC_ALGORITHMS]);
    expect([...PUBLIC_KEY_SIGNATURE_ALGORITHMS]).toEqual([...PUBLIC_KEY_ALGORITHMS]);
  });

  it('with signature and api-key: generates a 64-character HMAC secret, grants it with the key, pins HS256', () => {
    const { webhook, template, environment, webhookStatements } = inAnotherApp(() => ({
      auth: { modes: ['api-key', 'signature'] },
    }));
    const signing = idOf(template, 'AWS::SecretsManager::Secret', /SigningKeySecret/);
    const apiKey = idOf(template, 'AWS::SecretsManager::Secret', /ApiKeySecret/);
    expect(resources(template)[signing]!.Properties.GenerateSecretString).toEqual({
      PasswordLength: 64,
      ExcludePunctuation: true,
      IncludeSpace: false,
    });
    expect(environment()).toMatchObject({
      WEBHOOK_AUTH: 'api-key,signature',
      WEBHOOK_API_KEY_HEADER: 'Authorization',
      API_KEY_SECRET_ARN: ref(apiKey),
      SIGNING_KEY_SECRET_ARN: ref(signing),
      WEBHOOK_SIGNATURE_ALGORITHMS: 'HS256',
      WEBHOOK_JWKS_URL: '',
      WEBHOOK_SIGNING_KEYS: '',
    });
    expect(secretReads(webhookStatements())).toEqual([ref(apiKey), ref(signing)]);
    expect(webhook.signingKeySecret).toBeDefined();
  });

  it('with signature only: creates no API key secret and grants none', () => {
    const { template, environment, webhookStatements } = inAnotherApp(() => ({ auth: { modes: ['signature'] } }));
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    expect(environment()).toMatchObject({ WEBHOOK_AUTH: 'signature', WEBHOOK_API_KEY_HEADER: '', API_KEY_SECRET_ARN: '' });
    expect(secretReads(webhookStatements())).toEqual([ref(idOf(template, 'AWS::SecretsManager::Secret', /SigningKeySecret/))]);
  });

  it('with an existing HMAC secret and HS512: uses and grants that secret, generates none', () => {
    const { template, environment, webhookStatements } = inAnotherApp((stack) => ({
      auth: {
        modes: ['signature'],
        signature: { hmacSecret: new Secret(stack, 'TheirSigningKey'), algorithms: ['HS512'] },
      },
    }));
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    const theirs = ref(idOf(template, 'AWS::SecretsManager::Secret', /^TheirSigningKey/));
    expect(environment()).toMatchObject({ SIGNING_KEY_SECRET_ARN: theirs, WEBHOOK_SIGNATURE_ALGORITHMS: 'HS512' });
    expect(secretReads(webhookStatements())).toEqual([theirs]);
  });

  it('with a JWKS URL only: RS256 from FusionAuth\'s public keys, no HMAC secret at all', () => {
    const { template, webhook, environment, webhookStatements } = inAnotherApp(() => ({
      auth: { modes: ['signature'], signature: { jwksUrl: JWKS_URL } },
    }));
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(webhook.signingKeySecret).toBeUndefined();
    expect(environment()).toMatchObject({ WEBHOOK_JWKS_URL: JWKS_URL, WEBHOOK_SIGNATURE_ALGORITHMS: 'RS256', SIGNING_KEY_SECRET_ARN: '' });
    expect(secretReads(webhookStatements())).toEqual([]);
  });

  it('with a JWKS URL and an HMAC algorithm listed: both kinds, the HMAC secret generated', () => {
    const { template, environment } = inAnotherApp(() => ({
      auth: { modes: ['signature'], signature: { jwksUrl: JWKS_URL, algorithms: ['HS256', 'ES256'] } },
    }));
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    expect(environment()).toMatchObject({ WEBHOOK_SIGNATURE_ALGORITHMS: 'HS256,ES256', WEBHOOK_JWKS_URL: JWKS_URL });
  });

  it('with basic and api-key: grants the existing Basic secret, and the key moves to its own header', () => {
    const { template, webhook, environment, webhookStatements } = inAnotherApp((stack) => ({
      auth: { modes: ['api-key', 'basic'], apiKeyHeader: 'X-API-Key', basicAuthSecret: new Secret(stack, 'TheirBasic') },
    }));
    const basic = ref(idOf(template, 'AWS::SecretsManager::Secret', /^TheirBasic/));
    expect(environment()).toMatchObject({ WEBHOOK_AUTH: 'api-key,basic', WEBHOOK_API_KEY_HEADER: 'X-API-Key', BASIC_AUTH_SECRET_ARN: basic, WEBHOOK_BASIC_AUTH: '' });
    expect(secretReads(webhookStatements())).toContainEqual(basic);
    expect(webhook.basicAuthSecret).toBeDefined();
    expect(resources(template)[idOf(template, 'AWS::SecretsManager::Secret', /ApiKeySecret/)]!.Properties.Description).toContain('X-API-Key header');
  });

  it('tells both functions how long to cache secrets', () => {
    const { environment, workerEnvironment } = inAnotherApp(() => ({ auth: { secretMaxAge: Duration.minutes(1) } }));
    expect(environment().SECRET_CACHE_SECONDS).toBe('60');
    expect(workerEnvironment().SECRET_CACHE_SECONDS).toBe('60');
  });

  it('never lets the worker read an auth secret: it checks no request', () => {
    const { workerStatements, workerEnvironment } = inAnotherApp(() => ({ auth: { modes: ['api-key', 'signature'] } }));
    expect(JSON.stringify(workerStatements())).not.toContain('secretsmanager');
    const authVariables = Object.keys(workerEnvironment()).filter((name) => /^(WEBHOOK_|API_KEY_|SIGNING_KEY_|BASIC_AUTH_)/.test(name));
    expect(authVariables).toEqual([]);
  });

  const modes = (...listed: string[]) => listed as WebhookAuthMode[];
  it.each<[string, (stack: Stack) => PassportWebhookProps['auth'], RegExp]>([
    ['no mode', () => ({ modes: [] }), /modes lists none/],
    ['an unknown mode', () => ({ modes: modes('api-key', 'oauth') }), /modes lists "oauth"; it takes api-key, signature, basic/],
    ['api-key and basic in one header', (stack) => ({ modes: ['api-key', 'basic'], basicAuthSecret: new Secret(stack, 'B') }), /both read the Authorization header/],
    ['api-key and basic in one header, spelled otherwise', (stack) => ({ modes: ['api-key', 'basic'], apiKeyHeader: 'authorization', basicAuthSecret: new Secret(stack, 'B') }), /both read the Authorization header/],
    ['basic without its secret', () => ({ modes: ['basic'] }), /'basic' needs basicAuthSecret.*cannot generate/],
    ['a header name with a space', () => ({ apiKeyHeader: 'X API Key' }), /not an HTTP header name/],
    ['an API key secret with api-key off', (stack) => ({ modes: ['signature'], apiKeySecret: new Secret(stack, 'K') }), /apiKeySecret is set, but modes does not include 'api-key'/],
    ['an API key header with api-key off', () => ({ modes: ['signature'], apiKeyHeader: 'X-API-Key' }), /apiKeyHeader is set/],
    ['signature settings with signature off', () => ({ signature: { jwksUrl: JWKS_URL } }), /signature is set, but modes does not include 'signature'/],
    ['a Basic secret with basic off', (stack) => ({ basicAuthSecret: new Secret(stack, 'B') }), /basicAuthSecret is set/],
    ['a public-key algorithm without a JWKS URL', () => ({ modes: ['signature'], signature: { algorithms: ['RS256'] } }), /RS256, which needs public keys: set signature.jwksUrl/],
    ['an unknown algorithm', () => ({ modes: ['signature'], signature: { algorithms: ['none' as 'HS256'] } }), /algorithms lists "none"/],
    ['no algorithm', () => ({ modes: ['signature'], signature: { algorithms: [] } }), /algorithms lists none/],
    ['an HMAC secret with only public-key algorithms', (stack) => ({ modes: ['signature'], signature: { hmacSecret: new Secret(stack, 'H'), jwksUrl: JWKS_URL, algorithms: ['RS256'] } }), /hmacSecret is set, but signature.algorithms lists no HMAC algorithm/],
    ['a JWKS URL with only HMAC algorithms', () => ({ modes: ['signature'], signature: { jwksUrl: JWKS_URL, algorithms: ['HS256'] } }), /jwksUrl is set, but signature.algorithms lists only HMAC/],
    ['a JWKS URL over plain HTTP', () => ({ modes: ['signature'], signature: { jwksUrl: 'http://auth.example.com/.well-known/jwks.json' } }), /jwksUrl must be an https URL \(http only to localhost\)/],
    ['a secret cache of a fraction of a second', () => ({ secretMaxAge: Duration.millis(1500) }), /secretMaxAge must be a whole number of seconds/],
    ['no secret cache at all', () => ({ secretMaxAge: Duration.seconds(0) }), /secretMaxAge must be a whole number of seconds, at least 1/],
  ])('refuses %s at synth time, saying why', (_, auth, message) => {
    expect(() => inAnotherApp((stack) => ({ auth: auth(stack) }))).toThrow(message);
  });
});

describe('deletion', () => {
  it('takes the budget, the worker\'s timeout and memory, the receives and the concurrency', () => {
    const { template, environment, workerId } = inAnotherApp(() => ({
      lambda: { timeout: Duration.seconds(20) },
      deletion: {
        inlineBudget: Duration.millis(2500),
        workerTimeout: Duration.minutes(10),
        workerMemorySize: 1024,
        maxReceiveCount: 3,
        maxConcurrency: 8,
      },
    }));
    expect(environment().DELETE_BUDGET_MS).toBe('2500');
    expect(resources(template)[workerId]!.Properties).toMatchObject({ Timeout: 600, MemorySize: 1024 });
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 3600, RedrivePolicy: { maxReceiveCount: 3 } });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 10, ScalingConfig: { MaximumConcurrency: 8 } });
  });

  it.each<[string, PassportWebhookProps, RegExp]>([
    ['a budget as long as the timeout', { lambda: { timeout: Duration.seconds(10) }, deletion: { inlineBudget: Duration.seconds(10) } }, /inlineBudget \(10 seconds\) must be shorter than lambda.timeout/],
    ['a worker timeout the 5-second margin would eat', { deletion: { workerTimeout: Duration.seconds(10) } }, /workerTimeout must be whole seconds from 15 seconds to 15 minutes/],
    ['a worker timeout Lambda does not allow', { deletion: { workerTimeout: Duration.minutes(16) } }, /workerTimeout must be/],
    ['no receive before dead-lettering', { deletion: { maxReceiveCount: 0 } }, /maxReceiveCount must be a whole number from 1 to 1000/],
    ['more receives than the queue keeps a job', { deletion: { workerTimeout: Duration.minutes(15), maxReceiveCount: 64 } }, /maxReceiveCount \(64\) receives, 1 hour 30 minutes apart, outlast the queue's retention of 4 days/],
    ['a concurrency SQS event sources do not take', { deletion: { maxConcurrency: 1 } }, /maxConcurrency must be a whole number from 2 to 1000/],
  ])('refuses %s', (_, props, message) => {
    expect(() => inAnotherApp(() => props)).toThrow(message);
  });
});
