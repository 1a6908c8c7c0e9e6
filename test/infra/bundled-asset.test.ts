import { existsSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { synthesizedAssembly } from '../support/synth.ts';

const EVENTS = new URL('../../events/', import.meta.url);

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
    expect(template.Resources[id]!.Metadata).toMatchObject({ 'aws:asset:property': 'Code', 'aws:asset:is-bundled': true });
    expect(template.Resources[id]!.Properties.Handler).toBe('index.handler');
    expect(existsSync(join(assetDir(id), 'index.mjs'))).toBe(true);
    expect(assetDir('WebhookFunction')).not.toBe(assetDir('DeletionWorkerFunction'));
  });
});

describe.each([
  ['WebhookFunction', 'lambda/index.ts', ['BatchWriteItem', 'SendMessage', 'GetSecretValue']],
  ['DeletionWorkerFunction', 'lambda/worker.ts', ['BatchWriteItem', 'SendMessage']],
])('the bundled %s', (id, entry, commands) => {
  it('is one minified ES module that gives bundled CommonJS code a require', () => {
    expect(code(id).split('\n')[0]).toBe(
      "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    );
    // Minified: a few very long lines (the rest are line breaks inside string literals).
    expect(code(id).length / code(id).split('\n').length).toBeGreaterThan(2_000);
  });

  it('bundles the AWS SDK: it imports nothing but Node.js built-ins', () => {
    // Import statements and dynamic imports; the SDK's error messages quote import lines of their own.
    const statement = /(?:^|[;}\n])import\s*(?:[\w$*{][^"';]*?\bfrom\s*)?["']([^"']+)["']/g;
    const dynamic = /\bimport\(\s*["']([^"']+)["']\s*\)/g;
    const imported = [...code(id).matchAll(statement), ...code(id).matchAll(dynamic)].map(([, specifier]) => specifier!);
    expect(imported.length).toBeGreaterThan(0);
    expect(imported.filter((specifier) => !isBuiltin(specifier))).toEqual([]);
    for (const command of commands) expect(code(id)).toContain(command);
  });

  it(`has a source map back to ${entry}`, () => {
    expect(code(id)).toMatch(/\n\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
    const map = JSON.parse(readFileSync(join(assetDir(id), 'index.mjs.map'), 'utf8'));
    expect(map.sources).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`${entry.replace('.', '\\.')}$`))]));
    expect(map.sourcesContent).toBeUndefined();
  });
});

describe('loaded as the Lambda runtime loads it', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('the webhook exports the handler, which answers an event', async () => {
    vi.stubEnv('TODO_TABLE_NAME', 'Todos');
    vi.stubEnv('WEBHOOK_API_KEYS', 'local-webhook-key');
    const { handler } = await load('WebhookFunction');
    expect(handler).toBeTypeOf('function');
    const event = JSON.parse(readFileSync(new URL('wrong-key.json', EVENTS), 'utf8'));
    await expect(handler(event)).resolves.toMatchObject({ statusCode: 401 });
  });

  it('the worker exports the handler, which reports a job it cannot read back to SQS', async () => {
    vi.stubEnv('TODO_TABLE_NAME', 'Todos');
    vi.stubEnv('DELETION_QUEUE_URL', 'https://sqs.us-east-1.amazonaws.com/123456789012/deletions');
    const { handler } = await load('DeletionWorkerFunction');
    expect(handler).toBeTypeOf('function');
    const event = JSON.parse(readFileSync(new URL('deletion-job.json', EVENTS), 'utf8'));
    const [record] = event.Records;
    // No user id: it fails before any AWS call, as a batch item failure SQS retries and dead-letters.
    const unreadable = { Records: [{ ...record, body: JSON.stringify({ eventType: 'user.delete' }) }] };
    await expect(handler(unreadable)).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
  });
});
