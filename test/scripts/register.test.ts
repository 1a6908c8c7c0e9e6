import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Tenant, TransactionType, type Webhook } from '@fusionauth/typescript-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { handlers } from '../../lambda/event-handlers/handler-map.ts';
import { EVENT_KINDS, HANDLED_EVENTS, transactionTypeFor } from '../../scripts/register/events.ts';
import { FusionAuthError } from '../../scripts/register/fusionauth-api.ts';
import { type DesiredWebhook, planRegistration, WEBHOOK_DESCRIPTION } from '../../scripts/register/fusionauth-plan.ts';
import {
  DEFAULT_READ_TIMEOUT_MS,
  parseOptions,
  type RegisterOptions,
  UsageError,
} from '../../scripts/register/options.ts';
import { FUSIONAUTH_API_KEY_PLACEHOLDER } from '../../infra/names.ts';
import { mask, redactedBody } from '../../scripts/register/redact.ts';
import { pickStack, resolveWebhookTarget, type SourceIo } from '../../scripts/register/webhook-source.ts';
import { type FakeFusionAuth, fusionAuthTenant, startFakeFusionAuth } from '../support/fake-fusionauth.ts';
import { type FakeSecretsManager, startFakeSecretsManager } from '../support/fake-secrets-manager.ts';

const TENANT_A = '7d3f2c1e-5b4a-4e6f-9a8b-1c2d3e4f5a6b';
const TENANT_B = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const MISSING_TENANT = 'ffffffff-0000-4000-8000-000000000000';
const SIGNING_KEY = '401c9046-b274-403f-963d-adc5024c6ef0';
const OTHER_WEBHOOK = 'c0ffee00-1111-4222-8333-444455556666';
const WEBHOOK_URL = 'https://abc123.execute-api.eu-west-1.amazonaws.com/passport-webhook';
const CURRENT_KEY = 'current-webhook-key-0123456789abcdef';
const OLD_KEY = 'previous-webhook-key-0123456789abcdef';
const secretArn = (name: string) => `arn:aws:secretsmanager:eu-west-1:000000000000:secret:${name}-AbCdEf`;

// ---------------------------------------------------------------------------------------------
// Pure parts

const parse = (argv: string[], env: Record<string, string> = {}) => {
  const command = parseOptions(argv, { FUSIONAUTH_API_KEY: 'fa-key', ...env });
  if (command.help) throw new Error('help');
  return command;
};
const BASE = ['--fusionauth-url', 'https://auth.example.com/', '--tenant', TENANT_A];

describe('options', () => {
  test('defaults: the handled events, AbsoluteMajority, timeouts with room for a cold start, the Authorization header', () => {
    const { options, warnings } = parse(BASE);
    expect(options).toMatchObject({
      fusionAuthUrl: 'https://auth.example.com',
      fusionAuthApiKey: 'fa-key',
      tenants: { global: false, tenantIds: [TENANT_A] },
      events: Object.keys(handlers),
      transactionType: TransactionType.AbsoluteMajority,
      connectTimeout: 1000,
      readTimeout: 10_000,
      apiKeyHeader: 'Authorization',
      signingKeyId: undefined,
      basicAuth: undefined,
      dryRun: false,
      source: { url: undefined, needsApiKey: true, apiKey: undefined, outputsFile: 'cdk-outputs.json', stack: undefined },
    });
    expect(warnings).toEqual([]);
  });

  test('the webhook key is the first of WEBHOOK_API_KEYS, and the flags override the defaults', () => {
    const { options } = parse(
      [...BASE, '--tenant', TENANT_B.toUpperCase(), '--webhook-url', WEBHOOK_URL, '--connect-timeout', '500', '--read-timeout', '7000', '--dry-run', '--outputs-file', 'out.json', '--stack', 'S', '--api-key', 'flag-key'],
      { WEBHOOK_API_KEYS: ` ${CURRENT_KEY} , ${OLD_KEY}` },
    );
    expect(options).toMatchObject({
      fusionAuthApiKey: 'flag-key',
      tenants: { global: false, tenantIds: [TENANT_A, TENANT_B] },
      connectTimeout: 500,
      readTimeout: 7000,
      dryRun: true,
      source: {
        url: { value: WEBHOOK_URL, origin: '--webhook-url' },
        apiKey: { value: CURRENT_KEY, origin: 'WEBHOOK_API_KEYS' },
        outputsFile: 'out.json',
        stack: 'S',
      },
    });
  });

  test.each([
    [['--fusionauth-url', 'https://a', '--global', '--tenant', TENANT_A], /either --global or --tenant/],
    [['--fusionauth-url', 'https://a'], /--tenant <id>.*--global/],
    [['--fusionauth-url', 'https://a', '--tenant', 'default'], /"default" is not a UUID/],
    [['--global'], /--fusionauth-url <url> is required/],
    [['--fusionauth-url', 'ftp://a', '--global'], /not an http\(s\) URL/],
    [[...BASE, '--read-timeout', '0'], /--read-timeout: "0"/],
    [[...BASE, '--connect-timeout', '1.5'], /--connect-timeout: "1.5"/],
    [[...BASE, '--transaction', 'Majority'], /"Majority" is not one of None, Any, SimpleMajority, SuperMajority, AbsoluteMajority/],
    [[...BASE, '--events', 'user.delete,user.delet'], /user\.delet is not an event type of FusionAuth\. Its types: audit-log\.create/],
    [[...BASE, '--events', ' , '], /lists no event type/],
    [[...BASE, '--events', 'test'], /"test" is only the type of the sends from Settings → Webhooks → Test/],
    [[...BASE, '--signing-key-id', 'key-1'], /--signing-key-id: "key-1" is not a UUID/],
    [[...BASE, '--basic-auth', 'no-colon'], /takes user:password/],
    [[...BASE, '--basic-auth', 'user:pass'], /Basic credentials travel in the Authorization header.*--api-key-header/],
    [[...BASE, '--api-key-header', 'X API Key'], /not an HTTP header name/],
    [[...BASE, '--local'], /WEBHOOK_API_KEYS=<key> npm start/],
    [[...BASE, '--auth', 'api-key,oauth'], /"api-key,oauth" is not a list of api-key, signature, basic/],
    [[...BASE, '--auth', 'basic'], /checks Basic credentials.*--basic-auth user:password or WEBHOOK_BASIC_AUTH/],
    [[...BASE, '--auth', 'api-key,signature'], /checks signatures.*--signing-key-id <uuid>/],
    [[...BASE, '--bogus'], /Unknown option '--bogus'/],
  ])('%j is refused', (argv, message) => {
    expect(() => parse(argv)).toThrow(UsageError);
    expect(() => parse(argv)).toThrow(message);
  });

  test('a missing FusionAuth API key is refused', () => {
    expect(() => parseOptions(BASE, {})).toThrow(/set FUSIONAUTH_API_KEY/);
  });

  test('--events: validated against FusionAuth, with warnings for types without a handler or a transaction', () => {
    const { options, warnings } = parse([...BASE, '--events', 'user.delete, user.email.update,user.delete', '--transaction', 'Any']);
    expect(options.events).toEqual(['user.delete', 'user.email.update']);
    expect(options.transactionType).toBe(TransactionType.Any);
    expect(warnings).toEqual([
      'user.email.update: the webhook has no handler for it, so it will be answered 200 and ignored.',
      'user.email.update: not transactional in FusionAuth, so the tenants keep transaction type None for it.',
    ]);
    expect(parse([...BASE, '--events', 'user.email.update', '--transaction', 'None']).warnings).toHaveLength(1);
  });

  test('Basic credentials: split at the first colon, from the flag or WEBHOOK_BASIC_AUTH, beside a moved API key header', () => {
    const { options } = parse([...BASE, '--basic-auth', 'todo:pa:ss', '--api-key-header', 'X-API-Key']);
    expect(options.basicAuth).toEqual({ username: 'todo', password: 'pa:ss' });
    // One pair per line while they rotate, as the webhook reads them: the first is current.
    const fromEnv = parse(BASE, { WEBHOOK_BASIC_AUTH: 'u:p\nold:q', WEBHOOK_API_KEY_HEADER: 'X-Key' }).options;
    expect(fromEnv).toMatchObject({ basicAuth: { username: 'u', password: 'p' }, apiKeyHeader: 'X-Key' });
  });

  test('--auth (or WEBHOOK_AUTH, as the webhook reads it): without api-key no key is sent, so none is looked for', () => {
    const { options } = parse([...BASE, '--local', '--basic-auth', 'todo:secret', '--signing-key-id', SIGNING_KEY], {
      WEBHOOK_AUTH: 'basic,signature',
    });
    expect(options).toMatchObject({
      apiKeyHeader: undefined,
      basicAuth: { username: 'todo', password: 'secret' },
      signingKeyId: SIGNING_KEY,
      source: { needsApiKey: false, apiKey: undefined, url: { value: 'http://localhost:3000/passport-webhook' } },
    });
    // The Authorization header is then free for Basic credentials.
    expect(parse([...BASE, '--auth', 'basic', '--basic-auth', 'u:p']).options.apiKeyHeader).toBeUndefined();
  });

  test('--local registers the npm start URL on PORT with the key of WEBHOOK_API_KEYS; --webhook-url still wins', () => {
    const env = { WEBHOOK_API_KEYS: CURRENT_KEY, PORT: '4321' };
    expect(parse([...BASE, '--local'], env).options.source).toMatchObject({
      url: { value: 'http://localhost:4321/passport-webhook' },
      apiKey: { value: CURRENT_KEY },
    });
    const docker = 'http://host.docker.internal:4321/passport-webhook';
    expect(parse([...BASE, '--local', '--webhook-url', docker], env).options.source.url?.value).toBe(docker);
  });

  test('--help', () => {
    expect(parseOptions(['--help'], {})).toEqual({ help: true });
  });
});

describe('event catalog', () => {
  test('the default events are the handlers\' types: the deletions, transactional, and their .complete events, which are not', () => {
    expect(HANDLED_EVENTS).toEqual(Object.keys(handlers));
    expect(HANDLED_EVENTS.map((event) => [event, EVENT_KINDS[event]])).toEqual([
      ['user.delete', 'transactional'],
      ['user.delete.complete', 'non-transactional'],
      ['user.registration.delete', 'transactional'],
      ['user.registration.delete.complete', 'non-transactional'],
    ]);
  });

  test('non-transactional and system events keep None whatever is chosen', () => {
    expect(transactionTypeFor('user.delete', TransactionType.SuperMajority)).toBe(TransactionType.SuperMajority);
    expect(transactionTypeFor('user.delete.complete', TransactionType.SuperMajority)).toBe(TransactionType.None);
    expect(transactionTypeFor('audit-log.create', TransactionType.Any)).toBe(TransactionType.None);
  });
});

const desired = (overrides: Partial<DesiredWebhook> = {}): DesiredWebhook => ({
  url: WEBHOOK_URL,
  apiKey: { header: 'Authorization', value: CURRENT_KEY },
  connectTimeout: 1000,
  readTimeout: 10_000,
  events: ['user.delete', 'user.registration.delete'],
  tenants: { global: false, tenantIds: [TENANT_A] },
  signingKeyId: undefined,
  basicAuth: undefined,
  ...overrides,
});

/** A webhook as FusionAuth returns it once `desired()` was written, defaults included. */
const stored = (overrides: Partial<Webhook> = {}): Webhook => ({
  id: 'e1e1e1e1-0000-4000-8000-000000000001',
  url: WEBHOOK_URL,
  description: WEBHOOK_DESCRIPTION,
  connectTimeout: 1000,
  readTimeout: 10_000,
  headers: { Authorization: CURRENT_KEY },
  eventsEnabled: { 'user.delete': true, 'user.registration.delete': true, 'user.create': false } as Webhook['eventsEnabled'],
  global: false,
  tenantIds: [TENANT_A],
  signatureConfiguration: { enabled: false },
  insertInstant: 1,
  lastUpdateInstant: 2,
  ...overrides,
});

const enabledTenant = (transactionType = TransactionType.AbsoluteMajority): Tenant =>
  fusionAuthTenant(TENANT_A, 'Default', {
    'user.delete': { enabled: true, transactionType },
    'user.registration.delete': { enabled: true, transactionType },
  });

describe('planRegistration', () => {
  const NEW_ID = '5e5e5e5e-0000-4000-8000-000000000005';

  test('creates the webhook with the id chosen up front, then enables the events in the tenant, linking both', () => {
    const steps = planRegistration(desired(), TransactionType.AbsoluteMajority, { webhooks: [], tenants: [fusionAuthTenant(TENANT_A, 'Default')] }, NEW_ID);
    expect(steps.map((step) => step.outcome)).toEqual(['create', 'update']);
    expect(steps[0]!.request).toEqual({
      kind: 'createWebhook',
      webhookId: NEW_ID,
      body: {
        webhook: {
          description: WEBHOOK_DESCRIPTION,
          url: WEBHOOK_URL,
          connectTimeout: 1000,
          readTimeout: 10_000,
          headers: { Authorization: CURRENT_KEY },
          eventsEnabled: { 'user.delete': true, 'user.registration.delete': true },
          global: false,
          tenantIds: [TENANT_A],
          signatureConfiguration: { enabled: false },
        },
      },
    });
    expect(steps[1]).toEqual({
      subject: `tenant Default (${TENANT_A})`,
      outcome: 'update',
      changes: ['user.delete: enabled, AbsoluteMajority', 'user.registration.delete: enabled, AbsoluteMajority'],
      request: {
        kind: 'patchTenant',
        tenantId: TENANT_A,
        body: {
          tenant: {
            eventConfiguration: {
              events: {
                'user.delete': { enabled: true, transactionType: 'AbsoluteMajority' },
                'user.registration.delete': { enabled: true, transactionType: 'AbsoluteMajority' },
              },
            },
          },
          webhookIds: [NEW_ID],
        },
      },
    });
  });

  test('nothing to write when FusionAuth already matches, its defaults and a differently written URL included', () => {
    const webhook = stored({ url: WEBHOOK_URL.replace('abc123.execute-api', 'ABC123.Execute-API') });
    const steps = planRegistration(desired(), TransactionType.AbsoluteMajority, { webhooks: [webhook], tenants: [enabledTenant()] }, NEW_ID);
    // The URL spelling differs, so it is rewritten; everything else is as wanted.
    expect(steps.map((step) => [step.outcome, step.changes])).toEqual([['update', ['url']], ['unchanged', []]]);
    const same = planRegistration(desired(), TransactionType.AbsoluteMajority, { webhooks: [stored()], tenants: [enabledTenant()] }, NEW_ID);
    expect(same.every((step) => step.outcome === 'unchanged' && step.request === undefined)).toBe(true);
  });

  test('an update PUTs the whole webhook: what it owns replaced, description, data and certificate key kept, read-only fields dropped', () => {
    const existing = stored({
      description: 'Todo cleanup (prod)',
      data: { owner: 'ops' },
      readTimeout: 2000,
      headers: { Authorization: OLD_KEY, 'X-Trace': '1' },
      sslCertificate: '-----BEGIN CERTIFICATE-----…',
      sslCertificateKeyId: 'e31e242b-4eca-4309-921f-48cb72ec9bfb',
      httpAuthenticationUsername: 'stale',
      httpAuthenticationPassword: 'stale-password',
    });
    const [step] = planRegistration(
      desired({ signingKeyId: SIGNING_KEY }),
      TransactionType.AbsoluteMajority,
      { webhooks: [existing], tenants: [] },
      NEW_ID,
    );
    expect(step!.changes).toEqual([
      'readTimeout',
      'headers',
      'httpAuthenticationUsername',
      'httpAuthenticationPassword',
      'signatureConfiguration',
    ]);
    expect(step!.request).toEqual({
      kind: 'updateWebhook',
      webhookId: existing.id,
      body: {
        webhook: {
          url: WEBHOOK_URL,
          description: 'Todo cleanup (prod)',
          data: { owner: 'ops' },
          sslCertificateKeyId: 'e31e242b-4eca-4309-921f-48cb72ec9bfb',
          connectTimeout: 1000,
          readTimeout: 10_000,
          headers: { Authorization: CURRENT_KEY },
          eventsEnabled: { 'user.delete': true, 'user.registration.delete': true },
          global: false,
          tenantIds: [TENANT_A],
          signatureConfiguration: { enabled: true, signingKeyId: SIGNING_KEY },
        },
      },
    });
    expect(JSON.stringify(step!.request)).not.toMatch(/stale|insertInstant|lastUpdateInstant|"id"|BEGIN CERTIFICATE/);
  });

  test('tenants: only the events that differ are sent, system events skipped, non-transactional ones at None', () => {
    const tenant = fusionAuthTenant(TENANT_A, 'Default', {
      'user.delete': { enabled: true, transactionType: TransactionType.Any },
      'user.registration.delete': { enabled: true, transactionType: TransactionType.Any },
    });
    const steps = planRegistration(
      desired({ events: ['user.delete', 'user.registration.delete', 'user.email.update', 'audit-log.create'] }),
      TransactionType.Any,
      { webhooks: [stored()], tenants: [tenant] },
      NEW_ID,
    );
    expect(steps[1]!.request?.body).toEqual({
      tenant: { eventConfiguration: { events: { 'user.email.update': { enabled: true, transactionType: 'None' } } } },
      webhookIds: [stored().id],
    });
  });

  test('a tenant PATCH names every webhook linked to the tenant that is not global, so that none is unlinked', () => {
    const linked = stored({ id: OTHER_WEBHOOK, url: 'https://other.example.com/hook', tenantIds: [TENANT_A.toUpperCase()] });
    const elsewhere = stored({ id: 'abababab-0000-4000-8000-000000000000', url: 'https://third.example.com', tenantIds: [TENANT_B] });
    const global = stored({ id: '99999999-0000-4000-8000-000000000000', url: 'https://global.example.com', global: true, tenantIds: [TENANT_A] });
    const steps = planRegistration(
      desired(),
      TransactionType.AbsoluteMajority,
      { webhooks: [linked, elsewhere, global], tenants: [fusionAuthTenant(TENANT_A, 'Default')] },
      NEW_ID,
    );
    expect(steps[1]!.request?.body).toMatchObject({ webhookIds: [NEW_ID, OTHER_WEBHOOK].sort() });
    // Once ours is global, the tenant keeps only the other links.
    const globalSteps = planRegistration(
      desired({ tenants: { global: true } }),
      TransactionType.AbsoluteMajority,
      { webhooks: [stored(), linked], tenants: [fusionAuthTenant(TENANT_A, 'Default')] },
      NEW_ID,
    );
    expect(globalSteps[0]!.changes).toEqual(['global']);
    expect(globalSteps[0]!.request?.body).toMatchObject({ webhook: { global: true, tenantIds: [] } });
    expect(globalSteps[1]!.request?.body).toMatchObject({ webhookIds: [OTHER_WEBHOOK] });
  });

  test('a webhook that checks no API key gets no header, and one left from before is removed', () => {
    const [step] = planRegistration(desired({ apiKey: undefined }), TransactionType.None, { webhooks: [stored()], tenants: [] }, NEW_ID);
    expect(step!.changes).toEqual(['headers']);
    expect(step!.request?.body).toMatchObject({ webhook: { headers: {} } });
  });

  test('two webhooks with our URL: nothing is planned, FusionAuth must be tidied first', () => {
    const twins = [stored(), stored({ id: OTHER_WEBHOOK })];
    expect(() => planRegistration(desired(), TransactionType.None, { webhooks: twins, tenants: [] }, NEW_ID)).toThrow(
      `FusionAuth has 2 webhooks for ${WEBHOOK_URL} (${stored().id}, ${OTHER_WEBHOOK})`,
    );
  });
});

describe('webhook source', () => {
  const outputs = {
    PassportWebhookStack: { WebhookUrl: WEBHOOK_URL, ApiKeySecretArn: secretArn('k'), ApiKeySecretName: 'k' },
    BootstrapStack: { BucketName: 'b' },
  };

  test('pickStack: the stack with a WebhookUrl output, or the one named', () => {
    expect(pickStack('f', outputs, undefined).stack).toBe('PassportWebhookStack');
    expect(pickStack('f', outputs, 'BootstrapStack').outputs).toEqual({ BucketName: 'b' });
    expect(() => pickStack('f', outputs, 'Nope')).toThrow('f has no stack Nope; it has: PassportWebhookStack, BootstrapStack.');
    expect(() => pickStack('f', { A: { WebhookUrl: 'x' }, B: { WebhookUrl: 'y' } }, undefined)).toThrow('(A, B): choose one with --stack');
    expect(() => pickStack('f', { A: {} }, undefined)).toThrow('No stack in f has a WebhookUrl output');
    expect(() => pickStack('f', [], undefined)).toThrow(UsageError);
  });

  const io = (files: Record<string, string>, secrets: Record<string, string> = {}): SourceIo & { secretReads: string[] } => {
    const secretReads: string[] = [];
    return {
      secretReads,
      readFile: async (path) => {
        if (!(path in files)) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
        return files[path]!;
      },
      readSecret: async (id) => {
        secretReads.push(id);
        return secrets[id]!;
      },
      writeSecret: async () => {
        throw new Error('this test writes no secret');
      },
    };
  };

  test('the URL from the outputs and the first key of the secret, by ARN', async () => {
    const sources = io({ 'cdk-outputs.json': JSON.stringify(outputs) }, { [secretArn('k')]: `${CURRENT_KEY},${OLD_KEY}` });
    const source = { url: undefined, needsApiKey: true, apiKey: undefined, outputsFile: 'cdk-outputs.json', stack: undefined };
    const target = await resolveWebhookTarget(source, sources);
    expect(target).toEqual({
      url: { value: WEBHOOK_URL, origin: 'cdk-outputs.json, stack PassportWebhookStack' },
      apiKey: { value: CURRENT_KEY, origin: `secret ${secretArn('k')}` },
    });
  });

  test('given URL and key need no file and no secret; a missing file says how to make it', async () => {
    const sources = io({});
    const given = { url: { value: WEBHOOK_URL, origin: 'x' }, apiKey: { value: CURRENT_KEY, origin: 'y' } };
    const source = { ...given, needsApiKey: true, outputsFile: 'none.json', stack: undefined };
    await expect(resolveWebhookTarget(source, sources)).resolves.toEqual(given);
    const noKeyChecked = { ...source, needsApiKey: false, apiKey: undefined };
    await expect(resolveWebhookTarget(noKeyChecked, sources)).resolves.toEqual({ url: given.url, apiKey: undefined });
    await expect(resolveWebhookTarget({ ...source, apiKey: undefined }, sources)).rejects.toThrow(
      'none.json not found. Deploy with `npx cdk deploy --outputs-file none.json`, or give --webhook-url and WEBHOOK_API_KEYS.',
    );
    expect(sources.secretReads).toEqual([]);
  });
});

describe('output', () => {
  test('secrets are masked: at most their last 4 characters, none of a short one', () => {
    expect(mask(CURRENT_KEY)).toBe('****cdef');
    expect(mask('short-secret')).toBe('****');
    const body = redactedBody({
      kind: 'createWebhook',
      webhookId: 'id',
      body: { webhook: { url: WEBHOOK_URL, headers: { 'X-API-Key': CURRENT_KEY }, httpAuthenticationPassword: 'pa:ss', httpAuthenticationUsername: 'todo' } },
    });
    expect(body).toEqual({
      webhook: { url: WEBHOOK_URL, headers: { 'X-API-Key': '****cdef' }, httpAuthenticationPassword: '****', httpAuthenticationUsername: 'todo' },
    });
  });

  test("FusionAuth's field and general errors are shown with their codes, under the request", () => {
    const error = new FusionAuthError(
      { method: 'PUT', path: '/api/webhook/w' },
      400,
      {
        fieldErrors: { 'webhook.url': [{ code: '[blank]webhook.url', message: 'You must specify the [webhook.url] property.' }] },
        generalErrors: [{ code: '[TenantIdRequired]', message: 'A Tenant Id is required to complete this request.' }],
      },
      undefined,
    );
    expect(error.message).toBe(
      'PUT /api/webhook/w: 400 Bad Request\n' +
        '  webhook.url: You must specify the [webhook.url] property. ([blank]webhook.url)\n' +
        '  A Tenant Id is required to complete this request. ([TenantIdRequired])',
    );
  });
});

describe('the fake FusionAuth', () => {
  const call = async (fa: FakeFusionAuth, method: string, path: string, body?: unknown, key = fa.apiKey) => {
    const response = await fetch(`${fa.url}${path}`, {
      method,
      headers: { authorization: key, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? '' : JSON.parse(text) };
  };
  const valid = { url: WEBHOOK_URL, connectTimeout: 1000, readTimeout: 2000 };

  test('refuses what FusionAuth refuses, with its status codes and Errors bodies', async () => {
    const fa = await startFakeFusionAuth({ tenants: [fusionAuthTenant(TENANT_A, 'Default')] });
    try {
      expect(await call(fa, 'GET', '/api/webhook', undefined, 'wrong')).toEqual({ status: 401, body: '' });
      expect(await call(fa, 'GET', `/api/tenant/${MISSING_TENANT}`)).toEqual({ status: 404, body: '' });
      expect(await call(fa, 'DELETE', '/api/tenant')).toEqual({ status: 405, body: '' });
      expect(await call(fa, 'POST', '/api/webhook', { webhook: { connectTimeout: 1000, readTimeout: 0 } })).toEqual({
        status: 400,
        body: {
          fieldErrors: {
            'webhook.url': [{ code: '[missing]webhook.url', message: 'You must specify the [webhook.url] property.' }],
            'webhook.readTimeout': [{ code: '[invalid]webhook.readTimeout', message: 'The [webhook.readTimeout] property must be greater than 0.' }],
          },
        },
      });
      const codes = async (webhook: unknown) => (await call(fa, 'POST', '/api/webhook', { webhook })).body.fieldErrors;
      expect(await codes({ ...valid, eventsEnabled: { 'user.deleted': true } })).toMatchObject({
        'webhook.eventsEnabled': [{ code: '[invalidJSON]', message: expect.stringContaining('from String "user.deleted"') }],
      });
      expect(await codes({ ...valid, applicationIds: [] })).toMatchObject({ 'webhook.applicationIds': [{ code: '[invalidJSON]' }] });
      expect(await codes({ ...valid, tenantIds: [MISSING_TENANT] })).toMatchObject({ 'webhook.tenantIds': [{ code: '[invalid]webhook.tenantIds' }] });
      expect(await codes({ ...valid, signatureConfiguration: { enabled: true } })).toMatchObject({
        'webhook.signatureConfiguration.signingKeyId': [{ code: '[missing]webhook.signatureConfiguration.signingKeyId' }],
      });
      expect(fa.webhooks.size).toBe(0);
    } finally {
      await fa.close();
    }
  });

  test('a tenant PATCH merges objects, and without webhookIds unlinks the tenant from webhooks not global (FusionAuth issue 2411)', async () => {
    const fa = await startFakeFusionAuth({
      tenants: [fusionAuthTenant(TENANT_A, 'Default')],
      webhooks: [stored({ id: OTHER_WEBHOOK, tenantIds: [TENANT_A] })],
    });
    try {
      const patch = { tenant: { eventConfiguration: { events: { 'user.delete': { enabled: true } } } } };
      expect((await call(fa, 'PATCH', `/api/tenant/${TENANT_A}`, { ...patch, webhookIds: [OTHER_WEBHOOK] })).status).toBe(200);
      expect(fa.webhooks.get(OTHER_WEBHOOK)?.tenantIds).toEqual([TENANT_A]);
      const events = fa.tenants.get(TENANT_A)?.eventConfiguration?.events as Record<string, unknown>;
      expect(events['user.delete']).toEqual({ enabled: true, transactionType: 'None' });
      expect(events['user.create']).toEqual({ enabled: false, transactionType: 'None' });
      expect(fa.tenants.get(TENANT_A)?.issuer).toBe('acme.com');

      expect((await call(fa, 'PATCH', `/api/tenant/${TENANT_A}`, patch)).status).toBe(200);
      expect(fa.webhooks.get(OTHER_WEBHOOK)?.tenantIds).toEqual([]);
      const badType = await call(fa, 'PATCH', `/api/tenant/${TENANT_A}`, {
        tenant: { eventConfiguration: { events: { 'user.delete': { transactionType: 'Majority' } } } },
      });
      expect(badType.body.fieldErrors['tenant.eventConfiguration.events'][0].code).toBe('[invalidJSON]');
    } finally {
      await fa.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The command, run as `npm run register` runs it, against a fake FusionAuth and Secrets Manager

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SECRET = secretArn('passport-webhook-api-key');
let secretsManager: FakeSecretsManager;
let workDir: string;

beforeAll(async () => {
  secretsManager = await startFakeSecretsManager({ [SECRET]: `${CURRENT_KEY},${OLD_KEY}` });
  workDir = await mkdtemp(join(tmpdir(), 'register-'));
});
afterAll(async () => {
  await secretsManager.close();
  await rm(workDir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of a shell with nothing of this project's set, plus `env`. */
function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(WEBHOOK_|FUSIONAUTH_|PORT$)/.test(name)),
  );
  return { ...inherited, AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint, NODE_NO_WARNINGS: '1', ...env };
}

/** `node --import tsx` is what `tsx` runs, without npx's second of start-up per case. */
function runCli(args: string[], env: Record<string, string> = {}, command = [process.execPath, '--import', 'tsx']): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command[0]!, [...command.slice(1), 'scripts/register.ts', ...args], { cwd: ROOT, env: cleanEnv(env) }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

let outputsCount = 0;
async function outputsFile(content: unknown): Promise<string> {
  const path = join(workDir, `outputs-${++outputsCount}.json`);
  await writeFile(path, JSON.stringify(content));
  return path;
}

const deployed = (secretId = SECRET) =>
  outputsFile({
    CDKToolkit: { BucketName: 'cdk-assets' },
    PassportWebhookStack: {
      WebhookUrl: WEBHOOK_URL,
      ApiKeySecretName: 'passport-webhook-api-key',
      ApiKeySecretArn: secretId,
      GetApiKeyCommand: `aws secretsmanager get-secret-value --secret-id ${secretId}`,
      TodoTableName: 'Todos',
    },
  });

async function fusionAuth(setup: Parameters<typeof startFakeFusionAuth>[0] = {}): Promise<FakeFusionAuth> {
  return startFakeFusionAuth({
    tenants: [
      fusionAuthTenant(TENANT_A, 'Default', { 'user.create': { enabled: true, transactionType: TransactionType.Any } }),
      fusionAuthTenant(TENANT_B, 'Partners'),
    ],
    keyIds: [SIGNING_KEY],
    ...setup,
  });
}

const register = (fa: FakeFusionAuth, args: string[], env: Record<string, string> = {}) =>
  runCli(['--fusionauth-url', fa.url, ...args], { FUSIONAUTH_API_KEY: fa.apiKey, ...env });

const calls = (fa: FakeFusionAuth) => fa.requests.map((request) => `${request.method} ${request.path}`);
const writes = (fa: FakeFusionAuth) => fa.writes().map((request) => `${request.method} ${request.path}`);
const ourWebhook = (fa: FakeFusionAuth) => [...fa.webhooks.values()].find((webhook) => webhook.url === WEBHOOK_URL);

/** The JSON bodies a dry run printed, in order. */
function printedBodies(stdout: string): unknown[] {
  const lines = stdout.split('\n');
  const bodies: unknown[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '    {') continue;
    const end = lines.indexOf('    }', i);
    bodies.push(JSON.parse(lines.slice(i, end + 1).join('\n')));
    i = end;
  }
  return bodies;
}

describe.concurrent('npm run register', () => {
  test('creates the webhook from the deployed stack and secret, enables its events in the tenant, and a second run changes nothing', async ({ expect, onTestFinished }) => {
    const fa = await fusionAuth();
    onTestFinished(() => fa.close());
    const outputs = await deployed();

    const first = await register(fa, ['--tenant', TENANT_A, '--outputs-file', outputs]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);

    expect(calls(fa).slice(0, 2).sort()).toEqual(['GET /api/tenant/' + TENANT_A, 'GET /api/webhook']);
    const webhookId = fa.writes()[0]!.path.split('/').pop()!;
    expect(writes(fa)).toEqual([`POST /api/webhook/${webhookId}`, `PATCH /api/tenant/${TENANT_A}`]);
    for (const request of fa.requests) expect(request.authorization).toBe(fa.apiKey);
    for (const request of fa.writes()) expect(request.contentType).toBe('application/json');
    expect(fa.writes().map((request) => request.status)).toEqual([200, 200]);

    expect(fa.writes()[0]!.body).toEqual({
      webhook: {
        description: WEBHOOK_DESCRIPTION,
        url: WEBHOOK_URL,
        connectTimeout: 1000,
        readTimeout: DEFAULT_READ_TIMEOUT_MS,
        headers: { Authorization: CURRENT_KEY },
        eventsEnabled: { 'user.delete': true, 'user.delete.complete': true, 'user.registration.delete': true, 'user.registration.delete.complete': true },
        global: false,
        tenantIds: [TENANT_A],
        signatureConfiguration: { enabled: false },
      },
    });
    // The deletions wait for this webhook; their .complete events come after the commit.
    expect(fa.writes()[1]!.body).toEqual({
      tenant: {
        eventConfiguration: {
          events: {
            'user.delete': { enabled: true, transactionType: 'AbsoluteMajority' },
            'user.delete.complete': { enabled: true, transactionType: 'None' },
            'user.registration.delete': { enabled: true, transactionType: 'AbsoluteMajority' },
            'user.registration.delete.complete': { enabled: true, transactionType: 'None' },
          },
        },
      },
      webhookIds: [webhookId],
    });
    // The tenant PATCH kept the link the webhook made, and the tenant's other settings.
    expect(ourWebhook(fa)?.tenantIds).toEqual([TENANT_A]);
    const tenant = fa.tenants.get(TENANT_A)!;
    expect(tenant.issuer).toBe('acme.com');
    expect(tenant.eventConfiguration?.events?.['user.create' as never]).toEqual({ enabled: true, transactionType: 'Any' });
    expect(fa.tenants.get(TENANT_B)).toEqual(fusionAuthTenant(TENANT_B, 'Partners'));

    expect(first.stdout).toContain(`Webhook URL   ${WEBHOOK_URL}  (from ${outputs}, stack PassportWebhookStack)`);
    expect(first.stdout).toContain(`Webhook key   ****cdef in header Authorization  (from secret ${SECRET})`);
    expect(first.stdout).toContain(`created      webhook ${WEBHOOK_URL} (${webhookId})`);
    expect(first.stdout).toContain(
      `updated      tenant Default (${TENANT_A}): user.delete: enabled, AbsoluteMajority; user.delete.complete: enabled, None; ` +
        'user.registration.delete: enabled, AbsoluteMajority; user.registration.delete.complete: enabled, None',
    );
    expect(first.stdout).toContain('Done: 1 created, 1 updated, 0 unchanged.');
    expect(first.stdout).not.toContain(CURRENT_KEY);
    expect(first.stdout).not.toContain(fa.apiKey);

    const before = fa.requests.length;
    const second = await register(fa, ['--tenant', TENANT_A, '--outputs-file', outputs]);
    expect(second.code).toBe(0);
    expect(fa.requests.slice(before).every((request) => request.method === 'GET')).toBe(true);
    expect(second.stdout).toContain(`unchanged    webhook ${WEBHOOK_URL} (${webhookId})`);
    expect(second.stdout).toContain('Done: 0 created, 0 updated, 2 unchanged.');
  });

  test('updates what differs: a rotated key and a new read timeout, keeping the description, data and the links of other webhooks', async ({ expect, onTestFinished }) => {
    const existingId = 'a7a7a7a7-0000-4000-8000-000000000007';
    const fa = await fusionAuth({
      webhooks: [
        { ...stored({ id: existingId, description: 'Todo cleanup (prod)', data: { owner: 'ops' }, readTimeout: 2000, headers: { Authorization: OLD_KEY } }) },
        stored({ id: OTHER_WEBHOOK, url: 'https://audit.example.com/hook', tenantIds: [TENANT_A] }),
      ],
      tenants: [fusionAuthTenant(TENANT_A, 'Default', { 'user.delete': { enabled: true, transactionType: TransactionType.None } })],
    });
    onTestFinished(() => fa.close());

    const run = await register(fa, ['--tenant', TENANT_A, '--outputs-file', await deployed()]);
    expect(run.code).toBe(0);
    expect(writes(fa)).toEqual([`PUT /api/webhook/${existingId}`, `PATCH /api/tenant/${TENANT_A}`]);
    expect(fa.webhooks.get(existingId)).toMatchObject({
      description: 'Todo cleanup (prod)',
      data: { owner: 'ops' },
      readTimeout: DEFAULT_READ_TIMEOUT_MS,
      headers: { Authorization: CURRENT_KEY },
      tenantIds: [TENANT_A],
    });
    expect(fa.writes()[1]!.body).toMatchObject({ webhookIds: [existingId, OTHER_WEBHOOK].sort() });
    expect(fa.webhooks.get(OTHER_WEBHOOK)?.tenantIds).toEqual([TENANT_A]);
    expect(run.stdout).toContain(`updated      webhook ${WEBHOOK_URL} (${existingId}): readTimeout; headers`);
    expect(run.stdout).toContain('Done: 0 created, 2 updated, 0 unchanged.');
  });

  test('--global: a global webhook, and the events enabled in every tenant', async ({ expect, onTestFinished }) => {
    const fa = await fusionAuth();
    onTestFinished(() => fa.close());
    const run = await register(fa, ['--global', '--outputs-file', await deployed(), '--transaction', 'Any']);
    expect(run.code).toBe(0);
    expect(calls(fa)).toContain('GET /api/tenant');
    const webhook = ourWebhook(fa)!;
    expect(webhook).toMatchObject({ global: true, tenantIds: [] });
    expect(writes(fa)).toEqual([`POST /api/webhook/${webhook.id}`, `PATCH /api/tenant/${TENANT_A}`, `PATCH /api/tenant/${TENANT_B}`]);
    for (const id of [TENANT_A, TENANT_B]) {
      expect(fa.tenants.get(id)?.eventConfiguration?.events?.['user.delete' as never]).toEqual({ enabled: true, transactionType: 'Any' });
    }
  });

  test('--events and --transaction: transactional events get the type, others None, system events no tenant setting', async ({ expect, onTestFinished }) => {
    const fa = await fusionAuth();
    onTestFinished(() => fa.close());
    const run = await register(fa, [
      '--tenant', TENANT_A, '--webhook-url', WEBHOOK_URL,
      '--events', 'user.delete,user.email.update,audit-log.create', '--transaction', 'SuperMajority',
    ], { WEBHOOK_API_KEYS: CURRENT_KEY });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      'warning: user.email.update: the webhook has no handler for it, so it will be answered 200 and ignored.\n' +
        'warning: audit-log.create: the webhook has no handler for it, so it will be answered 200 and ignored.\n' +
        'warning: user.email.update: not transactional in FusionAuth, so the tenants keep transaction type None for it.\n',
    );
    expect(ourWebhook(fa)?.eventsEnabled).toEqual({ 'user.delete': true, 'user.email.update': true, 'audit-log.create': true });
    expect(fa.writes()[1]!.body).toMatchObject({
      tenant: {
        eventConfiguration: {
          events: {
            'user.delete': { enabled: true, transactionType: 'SuperMajority' },
            'user.email.update': { enabled: true, transactionType: 'None' },
          },
        },
      },
    });
    expect(JSON.stringify(fa.writes()[1]!.body)).not.toContain('audit-log.create');
  });

  test('a signing key and Basic credentials beside an API key in its own header; nothing secret is printed', async ({ expect, onTestFinished }) => {
    const fa = await fusionAuth();
    onTestFinished(() => fa.close());
    const password = 'basic-password-0123456789';
    const run = await register(fa, ['--tenant', TENANT_A, '--outputs-file', await deployed(), '--signing-key-id', SIGNING_KEY], {
      WEBHOOK_BASIC_AUTH: `todo-webhook:${password}`,
      WEBHOOK_API_KEY_HEADER: 'X-API-Key',
    });
    expect(run.code).toBe(0);
    expect(ourWebhook(fa)).toMatchObject({
      headers: { 'X-API-Key': CURRENT_KEY },
      httpAuthenticationUsername: 'todo-webhook',
      httpAuthenticationPassword: password,
      signatureConfiguration: { enabled: true, signingKeyId: SIGNING_KEY },
    });
    expect(run.stdout + run.stderr).not.toContain(password);
    expect(run.stdout).toContain('Webhook key   ****cdef in header X-API-Key');
  });

  test('--dry-run prints each write with secrets masked and sends none; a real run then sends just those', async ({ expect, onTestFinished }) => {
    const fa = await fusionAuth();
    onTestFinished(() => fa.close());
    const args = ['--tenant', TENANT_A, '--outputs-file', await deployed(), '--basic-auth', 'todo:basic-password-0123456789', '--api-key-header', 'X-API-Key'];

    const dry = await register(fa, [...args, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(fa.writes()).toEqual([]);
    expect(dry.stdout).toMatch(/would create webhook .*\n {4}POST \/api\/webhook\/[0-9a-f-]{36}\n {4}Authorization: \*\*\*\*wxyz\n {4}Content-Type: application\/json\n/);
    expect(dry.stdout).toContain(`would update tenant Default (${TENANT_A})`);
    expect(dry.stdout).toContain(`    PATCH /api/tenant/${TENANT_A}`);
    expect(dry.stdout).toContain('Dry run: 1 to create, 1 to update, 0 unchanged. Nothing was written');
    expect(dry.stdout).not.toMatch(new RegExp(`${CURRENT_KEY}|basic-password-0123456789|${fa.apiKey}`));

    const real = await register(fa, args);
    expect(real.code).toBe(0);
    const sent = fa.writes().map((request) => request.body as Record<string, Record<string, unknown>>);
    const webhookId = fa.writes()[0]!.path.split('/').pop()!;
    const [printedWebhook, printedTenant] = printedBodies(dry.stdout) as Record<string, Record<string, unknown>>[];
    expect(printedWebhook).toEqual({
      webhook: { ...sent[0]!.webhook, headers: { 'X-API-Key': '****cdef' }, httpAuthenticationPassword: '****6789' },
    });
    // The id of a new webhook is chosen per run.
    expect({ ...printedTenant, webhookIds: [webhookId] }).toEqual(sent[1]);
  });

  test('--local registers the npm start URL with the key of WEBHOOK_API_KEYS, no stack needed', async ({ expect, onTestFinished }) => {
    const fa = await fusionAuth();
    onTestFinished(() => fa.close());
    const run = await register(fa, ['--tenant', TENANT_A, '--local', '--outputs-file', join(workDir, 'none.json')], {
      WEBHOOK_API_KEYS: `local-key-0123456789ab,${OLD_KEY}`,
      PORT: '4321',
    });
    expect(run.code).toBe(0);
    expect([...fa.webhooks.values()][0]).toMatchObject({
      url: 'http://localhost:4321/passport-webhook',
      headers: { Authorization: 'local-key-0123456789ab' },
    });
    expect(run.stdout).toContain('(from --local: npm start on port 4321)');
  });

  test('WEBHOOK_AUTH=basic: Basic credentials in the Authorization header and no API key, none looked for', async ({ expect, onTestFinished }) => {
    const fa = await fusionAuth();
    onTestFinished(() => fa.close());
    const run = await register(fa, ['--tenant', TENANT_A, '--local', '--outputs-file', join(workDir, 'none.json')], {
      WEBHOOK_AUTH: 'basic',
      WEBHOOK_BASIC_AUTH: 'todo-webhook:basic-password-0123456789\nold:old-password',
    });
    expect(run.code).toBe(0);
    expect([...fa.webhooks.values()][0]).toMatchObject({
      headers: {},
      httpAuthenticationUsername: 'todo-webhook',
      httpAuthenticationPassword: 'basic-password-0123456789',
    });
    expect(run.stdout).toContain('Webhook key   none: the webhook checks no API key');
  });

  test('WEBHOOK_API_KEYS replaces the secret, which is then not read', async ({ expect, onTestFinished }) => {
    const fa = await fusionAuth();
    onTestFinished(() => fa.close());
    const secret = secretArn('unread');
    const run = await register(fa, ['--tenant', TENANT_A, '--outputs-file', await deployed(secret)], { WEBHOOK_API_KEYS: 'env-key-0123456789abcd' });
    expect(run.code).toBe(0);
    expect(ourWebhook(fa)?.headers).toEqual({ Authorization: 'env-key-0123456789abcd' });
    expect(secretsManager.calls).not.toContain(secret);
  });

  test('a secret that cannot be read: exit 1, saying which and what to do', async ({ expect, onTestFinished }) => {
    const fa = await fusionAuth();
    onTestFinished(() => fa.close());
    const run = await register(fa, ['--tenant', TENANT_A, '--outputs-file', await deployed(secretArn('missing'))]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Could not read the webhook's API key from the secret ${secretArn('missing')} (ResourceNotFoundException:`);
    expect(run.stderr).toContain('or set WEBHOOK_API_KEYS.');
    expect(fa.requests).toEqual([]);
  });

  test('a bad FusionAuth API key: 401, exit 1, nothing written', async ({ expect, onTestFinished }) => {
    const fa = await fusionAuth();
    onTestFinished(() => fa.close());
    const run = await register(fa, ['--tenant', TENANT_A, '--outputs-file', await deployed()], { FUSIONAUTH_API_KEY: 'wrong' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^GET \/api\/(webhook|tenant\/[0-9a-f-]+): 401 Unauthorized\nFusionAuth refused the API key: check FUSIONAUTH_API_KEY/);
    expect(fa.writes()).toEqual([]);
  });

  test('an unknown tenant: 404, exit 1, nothing written', async ({ expect, onTestFinished }) => {
    const fa = await fusionAuth();
    onTestFinished(() => fa.close());
    const run = await register(fa, ['--tenant', TENANT_A, '--tenant', MISSING_TENANT, '--outputs-file', await deployed()]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `GET /api/tenant/${MISSING_TENANT}: 404 Not Found\nFusionAuth has no tenant ${MISSING_TENANT}: check --tenant (Tenants lists the ids).\n`,
    );
    expect(fa.writes()).toEqual([]);
  });

  test("a validation error: FusionAuth's field error, exit 1, and the tenants left alone", async ({ expect, onTestFinished }) => {
    const fa = await fusionAuth({ keyIds: [] });
    onTestFinished(() => fa.close());
    const run = await register(fa, ['--tenant', TENANT_A, '--outputs-file', await deployed(), '--signing-key-id', SIGNING_KEY]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `^POST /api/webhook/[0-9a-f-]{36}: 400 Bad Request\\n  webhook\\.signatureConfiguration\\.signingKeyId: The key \\[${SIGNING_KEY}\\] does not exist in Key Master\\. \\(\\[invalid\\]webhook\\.signatureConfiguration\\.signingKeyId\\)\\n$`,
      ),
    );
    expect(writes(fa)).toHaveLength(1);
    expect(fa.webhooks.size).toBe(0);
  });

  test('a usage error, as `npx tsx` runs it: exit 2 and what to change', async ({ expect }) => {
    const run = await runCli(['--fusionauth-url', 'https://auth.example.com', '--global', '--local'], { FUSIONAUTH_API_KEY: 'k' }, ['npx', 'tsx']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--local needs the key of the `npm start` webhook');
    expect(run.stderr).toContain('npm run register -- --help lists the options.');
  });
});

describe.concurrent('npm run register --confirmation-key', () => {
  const CONFIRM_SECRET = secretArn('passport-webhook-fusionauth-api-key');

  test('print: a key FusionAuth allows GET on /api/user and nothing else, locked to the one tenant', async ({ expect, onTestFinished }) => {
    const fa = await fusionAuth();
    onTestFinished(() => fa.close());
    const run = await register(fa, ['--tenant', TENANT_A, '--webhook-url', WEBHOOK_URL, '--confirmation-key', 'print'], { WEBHOOK_API_KEYS: CURRENT_KEY });
    expect(run.code).toBe(0);
    const key = /created {6}confirmation key \S+ \(GET \/api\/user only, tenant [\w-]+\):\n\n {4}(\S+)/.exec(run.stdout)?.[1];
    expect(key).toBeDefined();
    const created = [...fa.apiKeys.values()].find((apiKey) => apiKey.key === key)!;
    expect(created).toMatchObject({ permissions: { endpoints: { '/api/user': ['GET'] } }, tenantId: TENANT_A });
    // What the key may do, asked of FusionAuth itself.
    const as = (path: string, method = 'GET') => fetch(`${fa.url}${path}`, { method, headers: { authorization: key! } }).then((response) => response.status);
    expect(await as('/api/user/00000000-0000-4000-8000-000000000404')).toBe(404);
    expect(await as('/api/webhook')).toBe(401);
    expect(await as('/api/user/00000000-0000-4000-8000-000000000404', 'DELETE')).toBe(401);
  });

  test('stack: written into the stack\'s secret in place of the placeholder; a second run creates no key', async ({ expect, onTestFinished }) => {
    const fa = await fusionAuth();
    onTestFinished(() => fa.close());
    secretsManager.secrets.set(CONFIRM_SECRET, FUSIONAUTH_API_KEY_PLACEHOLDER);
    const outputs = await outputsFile({
      PassportWebhookStack: { WebhookUrl: WEBHOOK_URL, ApiKeySecretArn: SECRET, FusionAuthApiKeySecretArn: CONFIRM_SECRET },
    });
    const args = ['--global', '--outputs-file', outputs, '--confirmation-key', 'stack'];
    const first = await register(fa, args);
    expect(first.code).toBe(0);
    const written = secretsManager.secrets.get(CONFIRM_SECRET)!;
    expect(written).not.toBe(FUSIONAUTH_API_KEY_PLACEHOLDER);
    expect([...fa.apiKeys.values()].find((apiKey) => apiKey.key === written)).toMatchObject({ permissions: { endpoints: { '/api/user': ['GET'] } } });
    expect(first.stdout).toContain(`written to the secret ${CONFIRM_SECRET}`);
    expect(first.stdout).not.toContain(written);

    const keys = fa.apiKeys.size;
    const second = await register(fa, args);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`unchanged    confirmation key: the secret ${CONFIRM_SECRET} holds one`);
    expect(fa.apiKeys.size).toBe(keys);
  });

  test('a key that is not a key manager: 401 with what the key needs, exit 1', async ({ expect, onTestFinished }) => {
    const fa = await fusionAuth({ apiKeys: [{ key: 'plain-admin-key', permissions: { endpoints: { '/api/webhook': ['GET', 'POST', 'PUT'], '/api/tenant': ['GET', 'PATCH'] } } }] });
    onTestFinished(() => fa.close());
    const run = await register(fa, ['--tenant', TENANT_A, '--webhook-url', WEBHOOK_URL, '--confirmation-key', 'print'], {
      WEBHOOK_API_KEYS: CURRENT_KEY,
      FUSIONAUTH_API_KEY: 'plain-admin-key',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Only a key manager may create API keys');
  });

  test('refuses a secret without stack, and a mode it does not know', () => {
    expect(() => parse([...BASE, '--confirmation-key-secret', 'arn'])).toThrow('--confirmation-key-secret goes with --confirmation-key stack.');
    expect(() => parse([...BASE, '--confirmation-key', 'email'])).toThrow('--confirmation-key: "email" is not print or stack.');
  });
});
