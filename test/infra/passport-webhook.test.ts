import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { HMAC_ALGORITHMS, PUBLIC_KEY_ALGORITHMS } from '../../lambda/auth/signature.ts';
import { AUTH_MODES } from '../../lambda/config.ts';
import {
  HMAC_SIGNATURE_ALGORITHMS,
  PassportWebhook,
  type PassportWebhookProps,
  PUBLIC_KEY_SIGNATURE_ALGORITHMS,
  WEBHOOK_AUTH_MODES,
  type WebhookAuthMode,
} from '../../infra/index.ts';
import { arn, idOf, ref, resources, statementsOf } from './template.ts';

const JWKS_URL = 'https://auth.example.com/.well-known/jwks.json';

/** Another team's app: its own stack, no cdk.json of ours, bundling skipped. */
function inAnotherApp(define: (stack: Stack) => PassportWebhookProps = () => ({})) {
  const app = new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'TheirStack');
  const webhook = new PassportWebhook(stack, 'Webhook', define(stack));
  const template = Template.fromStack(stack);
  const webhookId = idOf(template, 'AWS::Lambda::Function', /^WebhookFunction[0-9A-F]{8}$/);
  const workerId = idOf(template, 'AWS::Lambda::Function', /^WebhookDeletionWorker[0-9A-F]{8}$/);
  return {
    webhook,
    template,
    /** The webhook function's environment. */
    environment: () => resources(template)[webhookId]!.Properties.Environment.Variables as Record<string, unknown>,
    webhookStatements: () => statementsOf(template, webhookId),
    workerStatements: () => statementsOf(template, workerId),
    workerId,
  };
}

/** The GetSecretValue statements of a policy, one resource each. */
const secretReads = (statements: any[]) =>
  statements.filter((statement) => statement.Action === 'secretsmanager:GetSecretValue').flatMap((statement) => [statement.Resource].flat());

describe('PassportWebhook, from the package exports', () => {
  it('takes a table of the same app and grants both functions that table alone, not its indexes', () => {
    const { template, webhookStatements, workerStatements } = inAnotherApp((stack) => {
      const table = new Table(stack, 'Todos', {
        partitionKey: { name: 'owner', type: AttributeType.STRING },
        sortKey: { name: 'id', type: AttributeType.STRING },
      });
      table.addGlobalSecondaryIndex({ indexName: 'byDate', partitionKey: { name: 'date', type: AttributeType.STRING } });
      return { todoTable: { table, userIdAttribute: 'owner', sortKeyAttribute: 'id' } };
    });
    // Theirs, and the dedupe table.
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
    for (const statements of [webhookStatements(), workerStatements()]) {
      expect(statements).toContainEqual({
        Effect: 'Allow',
        Action: ['dynamodb:Query', 'dynamodb:BatchWriteItem'],
        Resource: arn(idOf(template, 'AWS::DynamoDB::Table', /^Todos/)),
      });
    }
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
  });

  it('exposes the URL, tables, secret, queues, functions and alarms for the app to wire further', () => {
    const { webhook } = inAnotherApp();
    expect(webhook.webhookUrl).toMatch(/\/passport-webhook$/);
    expect(webhook.monitoring.alarms).toHaveLength(5);
    expect(webhook.todoTable.tableName).toBeDefined();
    expect(webhook.dedupeTable?.tableName).toBeDefined();
    expect(webhook.apiKeySecret?.secretArn).toBeDefined();
    expect(webhook.signingKeySecret).toBeUndefined();
    expect(webhook.basicAuthSecret).toBeUndefined();
    expect(webhook.deletion.queue.queueUrl).toBeDefined();
    expect(webhook.deletion.deadLetterQueue.queueArn).toBeDefined();
    expect(webhook.deletion.worker.functionArn).toBeDefined();
  });

  it('refuses a timeout API Gateway would cut short', () => {
    const tooLong = () => inAnotherApp(() => ({ lambda: { timeout: Duration.seconds(30) } }));
    expect(tooLong).toThrow(/below API Gateway's 30 seconds/);
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

  it('tells the function how long to cache secrets', () => {
    const { environment } = inAnotherApp(() => ({ auth: { secretMaxAge: Duration.minutes(1) } }));
    expect(environment().SECRET_CACHE_SECONDS).toBe('60');
  });

  it('never lets the worker read a secret: it takes no credential', () => {
    const { workerStatements } = inAnotherApp(() => ({ auth: { modes: ['api-key', 'signature'] } }));
    expect(JSON.stringify(workerStatements())).not.toContain('secretsmanager');
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
    ['a JWKS URL over plain HTTP', () => ({ modes: ['signature'], signature: { jwksUrl: 'http://auth.example.com/.well-known/jwks.json' } }), /jwksUrl must be an https URL/],
    ['a secret cache of a fraction of a second', () => ({ secretMaxAge: Duration.millis(1500) }), /whole number/],
  ])('refuses %s at synth time, saying why', (_, auth, message) => {
    expect(() => inAnotherApp((stack) => ({ auth: auth(stack) }))).toThrow(message);
  });
});

describe('dedupe', () => {
  it('off: no table, no grant, and the function runs every delivery', () => {
    const { template, webhook, environment, webhookStatements } = inAnotherApp(() => ({ dedupe: { enabled: false } }));
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    expect(webhook.dedupeTable).toBeUndefined();
    expect(environment()).toMatchObject({ IDEMPOTENCY_TABLE_NAME: '', IDEMPOTENCY_WINDOW_SECONDS: '' });
    expect(JSON.stringify(webhookStatements())).not.toContain('dynamodb:PutItem');
  });

  it('remembers event ids as long as asked', () => {
    const { environment } = inAnotherApp(() => ({ dedupe: { window: Duration.days(30) } }));
    expect(environment().IDEMPOTENCY_WINDOW_SECONDS).toBe(String(30 * 24 * 3600));
  });

  it.each<[string, PassportWebhookProps['dedupe'], RegExp]>([
    ['a window while off', { enabled: false, window: Duration.days(1) }, /dedupe.window is set, but dedupe.enabled is false/],
    ['a window under a second', { window: Duration.millis(0) }, /at least 1 second/],
  ])('refuses %s', (_, dedupe, message) => {
    expect(() => inAnotherApp(() => ({ dedupe }))).toThrow(message);
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
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 8 } });
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
