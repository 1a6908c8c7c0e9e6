import { existsSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { synthesizedAssembly } from '../support/synth.ts';

const EVENTS = new URL('../../events/', import.meta.url);

/** `npx cdk synth` as a person runs it: real bundling, cdk-nag and CloudFormation validation, offline. */
let outdir: string;
let template: { Resources: Record<string, { Type: string; Properties: any; Metadata?: Record<string, unknown> }> };
let assetDir: string;
beforeAll(async () => {
  outdir = await synthesizedAssembly();
  template = JSON.parse(readFileSync(join(outdir, 'PassportWebhookStack.template.json'), 'utf8'));
  assetDir = join(outdir, String(template.Resources.WebhookFunction!.Metadata!['aws:asset:path']));
}, 180_000);

describe('npx cdk synth', () => {
  it('passes its validations: the cdk-nag checks and CloudFormation rules report nothing', () => {
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([]);
  });

  it('points the function at its bundled asset, as sam local reads it', () => {
    expect(template.Resources.WebhookFunction!.Metadata).toMatchObject({
      'aws:asset:property': 'Code',
      'aws:asset:is-bundled': true,
    });
    expect(template.Resources.WebhookFunction!.Properties.Handler).toBe('index.handler');
    expect(existsSync(join(assetDir, 'index.mjs'))).toBe(true);
  });
});

describe('the bundled handler', () => {
  const code = () => readFileSync(join(assetDir, 'index.mjs'), 'utf8');

  it('is one minified ES module that gives bundled CommonJS code a require', () => {
    expect(code().split('\n')[0]).toBe(
      "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    );
    // Minified: a few very long lines (the rest are line breaks inside string literals).
    expect(code().length / code().split('\n').length).toBeGreaterThan(2_000);
  });

  it('bundles the AWS SDK: it imports nothing but Node.js built-ins', () => {
    // Import statements and dynamic imports; the SDK's error messages quote import lines of their own.
    const statement = /(?:^|[;}\n])import\s*(?:[\w$*{][^"';]*?\bfrom\s*)?["']([^"']+)["']/g;
    const dynamic = /\bimport\(\s*["']([^"']+)["']\s*\)/g;
    const imported = [...code().matchAll(statement), ...code().matchAll(dynamic)].map(([, specifier]) => specifier!);
    expect(imported.length).toBeGreaterThan(0);
    const external = imported.filter((specifier) => !isBuiltin(specifier));
    expect(external).toEqual([]);
    expect(code()).toContain('BatchWriteItem');
  });

  it('has a source map back to the TypeScript sources', () => {
    expect(code()).toMatch(/\n\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
    const map = JSON.parse(readFileSync(join(assetDir, 'index.mjs.map'), 'utf8'));
    expect(map.sources).toEqual(expect.arrayContaining([expect.stringMatching(/lambda\/index\.ts$/)]));
    expect(map.sourcesContent).toBeUndefined();
  });

  describe('loaded as the Lambda runtime loads it', () => {
    beforeAll(() => {
      vi.stubEnv('TODO_TABLE_NAME', 'Todos');
      vi.stubEnv('WEBHOOK_API_KEYS', 'local-webhook-key');
    });
    afterAll(() => {
      vi.unstubAllEnvs();
    });

    it('exports the handler, which answers an event', async () => {
      const module = await import(pathToFileURL(join(assetDir, 'index.mjs')).href);
      expect(module.handler).toBeTypeOf('function');
      const event = JSON.parse(readFileSync(new URL('wrong-key.json', EVENTS), 'utf8'));
      await expect(module.handler(event)).resolves.toMatchObject({ statusCode: 401 });
    });
  });
});
