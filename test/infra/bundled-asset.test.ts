import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readJob } from '../../lambda/erasure/jobs.ts';
import { ensureLedgerTable, ensureTodoTable, type LocalDynamoDb, localClient, startDynalite } from '../../local/dynamodb.ts';
import { synthesizedAssembly } from '../support/synth.ts';

const EVENTS = new URL('../../events/', import.meta.url);
const event = (file: string) => JSON.parse(readFileSync(new URL(file, EVENTS), 'utf8'));

/** `npx cdk synth` as a person runs it: real bundling, cdk-nag and CloudFormation validation, offline. */
let outdir: string;
let template: { Resources: Record<string, { Type: string; Properties: any; Metadata?: Record<string, unknown> }> };
beforeAll(async () => {
  outdir = await synthesizedAssembly();
  template = JSON.parse(readFileSync(join(outdir, 'PassportWebhookStack.template.json'), 'utf8'));
}, 180_000);

const assetDir = (id: string) => join(outdir, String(template.Resources[id]!.Metadata!['aws:asset:path']));
const code = (id: string) => readFileSync(join(assetDir(id), 'index.mjs'), 'utf8');
const load = async (id: string) => (await import(pathToFileURL(join(assetDir(id), 'index.mjs')).href)) as Record<string, any>;

describe('npx cdk synth', () => {
  it('passes its validations: the cdk-nag checks and CloudFormation rules report nothing', () => {
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([]);
  });

  it.each(['WebhookFunction', 'DeletionWorkerFunction'])('points %s at its own bundled asset, as sam local reads it', (id) => {
    expect(template.Resources[id]!.Metadata).toMatchObject({ 'aws:asset:property': 'Code' });
    expect(template.Resources[id]!.Properties.Handler).toBe('index.handler');
    expect(existsSync(join(assetDir(id), 'index.mjs'))).toBe(true);
    expect(assetDir('WebhookFunction')).not.toBe(assetDir('DeletionWorkerFunction'));
  });
});

/** Every module of an asset: the entry and its chunks. */
const modules = (id: string): Map<string, string> =>
  new Map(
    readdirSync(assetDir(id), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.mjs'))
      .map((file) => [file, readFileSync(join(assetDir(id), file), 'utf8')]),
  );

const all = (id: string) => [...modules(id).values()].join('\n');

describe.each([
  ['WebhookFunction', 'lambda/webhook-lambda.ts', ['DescribeTable', 'BatchWriteItem', 'GetItem', 'PutItem', 'SendMessage', 'GetSecretValue']],
  ['DeletionWorkerFunction', 'lambda/worker-lambda.ts', ['DescribeTable', 'BatchWriteItem', 'GetItem', 'PutItem', 'Query', 'SendMessage', 'GetSecretValue']],
])('the bundled %s', (id, entry, commands) => {
  it('is minified ES modules, split in chunks, each giving bundled CommonJS code a require', () => {
    expect(modules(id).size).toBeGreaterThan(1);
    for (const [file, text] of modules(id)) {
      expect(text.split('\n')[0], file).toBe(
        "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
      );
    }
    // Minified: a few very long lines (the rest are line breaks inside string literals).
    expect(code(id).length / code(id).split('\n').length).toBeGreaterThan(2_000);
  });

  it('bundles the AWS SDK: its modules import nothing but Node.js built-ins and each other', () => {
    // Import statements and dynamic imports; the SDK's error messages quote import lines of their own.
    const statement = /(?:^|[;}\n])import\s*(?:[\w$*{][^"';]*?\bfrom\s*)?["']([^"']+)["']/g;
    const dynamic = /\bimport\(\s*["']([^"']+)["']\s*\)/g;
    const text = all(id);
    const imported = [...text.matchAll(statement), ...text.matchAll(dynamic)].map(([, specifier]) => specifier!);
    expect(imported.length).toBeGreaterThan(0);
    expect(imported.filter((specifier) => !isBuiltin(specifier) && !/^\.\.?\/(chunks\/)?[\w-]+\.mjs$/.test(specifier))).toEqual([]);
    for (const command of commands) expect(text).toContain(command);
  });

  it('loads what a delivery may not need only when it is used: signatures, Secrets Manager, SQS, the erasure code', () => {
    if (id !== 'WebhookFunction') return;
    const statement = /(?:^|[;}\n])import\s*(?:[\w$*{][^"';]*?\bfrom\s*)?["']([^"']+)["']/g;
    // The modules the entry loads at init: itself and what it imports statically, transitively.
    const loaded = new Set<string>();
    const visit = (file: string) => {
      if (loaded.has(file)) return;
      loaded.add(file);
      for (const [, specifier] of modules(id).get(file)!.matchAll(statement)) {
        if (specifier!.startsWith('.')) visit(join(dirname(file), specifier!).replace(/^\.\//, ''));
      }
    };
    visit('index.mjs');
    const atInit = [...loaded].map((file) => modules(id).get(file)!).join('\n');
    // A marker of each: the signature claim, Secrets Manager's and SQS's commands, the ledger's index attribute.
    for (const lazy of ['request_body_sha256', 'GetSecretValue', 'SendMessageBatch', 'openState']) {
      expect(atInit.includes(lazy), `${lazy} is loaded at init`).toBe(false);
      expect(all(id).includes(lazy), `${lazy} is in the bundle`).toBe(true);
    }
    expect(atInit).toContain('DescribeTable');
  });

  it(`has a source map back to ${entry}`, () => {
    expect(code(id)).toMatch(/\n\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
    const map = JSON.parse(readFileSync(join(assetDir(id), 'index.mjs.map'), 'utf8'));
    expect(map.sources).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`${entry.replace('.', '\\.')}$`))]));
    expect(map.sourcesContent).toBeUndefined();
  });
});

describe('the sample worker event', () => {
  it('carries an erasure job the worker reads, with the MD5 SQS gives its body', () => {
    const [record] = event('erasure-job.json').Records;
    expect(readJob(record.body)).toMatchObject({ kind: 'erase', subject: { scope: 'user' }, cycle: 1, hop: 0 });
    expect(record.md5OfBody).toBe(createHash('md5').update(record.body).digest('hex'));
  });
});

describe('loaded as the Lambda runtime loads it', () => {
  // Each handler describes its targets' tables at init (a top-level await), so a DynamoDB is needed.
  let dynamoDb: LocalDynamoDb;
  beforeAll(async () => {
    dynamoDb = await startDynalite(0, undefined, '127.0.0.1');
    const client = localClient(dynamoDb.endpoint);
    await ensureTodoTable(client, { tableName: 'Todos', userIdAttribute: 'userId', sortKeyAttribute: 'todoId' });
    await ensureLedgerTable(client, 'Erasures');
    client.destroy();
  });
  afterAll(async () => {
    await dynamoDb.close();
  });

  const stubTables = () => {
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', dynamoDb.endpoint);
    vi.stubEnv('TODO_TABLE_NAME', 'Todos');
    vi.stubEnv('ERASURE_LEDGER_TABLE_NAME', 'Erasures');
  };
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('the webhook exports the handler, which answers an event', async () => {
    stubTables();
    vi.stubEnv('WEBHOOK_API_KEYS', 'local-webhook-key');
    const { handler } = await load('WebhookFunction');
    expect(handler).toBeTypeOf('function');
    await expect(handler(event('wrong-key.json'))).resolves.toMatchObject({ statusCode: 401 });
  });

  it('the worker exports the handler, which reports a job it cannot read back to SQS', async () => {
    stubTables();
    vi.stubEnv('DELETION_QUEUE_URL', 'https://sqs.us-east-1.amazonaws.com/123456789012/erasures');
    const { handler } = await load('DeletionWorkerFunction');
    expect(handler).toBeTypeOf('function');
    const [record] = event('erasure-job.json').Records;
    // No kind: it fails before any AWS call, as a batch item failure SQS retries and dead-letters.
    const unreadable = { Records: [{ ...record, body: JSON.stringify({ subject: { userId: 'someone' } }) }] };
    await expect(handler(unreadable)).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
  });
});
