import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The package as another team installs it: `npm pack`, the tarball installed into a new CDK app
 * in a temporary folder (offline, from npm's cache, with no esbuild and no Docker), the README's
 * snippet in a stack beside an existing table, synthesized.
 */
const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; devDependencies: Record<string, string> };
const installed = (name: string) => (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

/** The README's TypeScript block: what a team pastes into its own stack. */
function readmeSnippet(): { imports: string[]; body: string[] } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error('the README has no ts block');
  const lines = block.trimEnd().split('\n');
  return { imports: lines.filter((line) => line.startsWith('import ')), body: lines.filter((line) => line.trim() !== '' && !line.startsWith('import ')) };
}

interface LockEntry {
  readonly version?: string;
  readonly integrity?: string;
  readonly dependencies?: Record<string, string>;
  readonly [field: string]: unknown;
}

/**
 * The consumer's lock file: the package from its tarball, and aws-cdk-lib and constructs with
 * everything they need, pinned as this repository's lock pins them, so that `npm ci --offline`
 * finds each in npm's cache by its integrity and asks the registry for nothing.
 */
function consumerLock(dependencies: Record<string, string>, tarball: string) {
  const ours = (JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }).packages;
  const packages: Record<string, LockEntry> = {};
  const resolve = (from: string, name: string): string => {
    for (let dir = from; ; dir = dir.slice(0, dir.lastIndexOf('/node_modules/'))) {
      const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
      if (ours[candidate]) return candidate;
      if (!dir.includes('/node_modules/')) {
        if (ours[`node_modules/${name}`]) return `node_modules/${name}`;
        throw new Error(`${name}, needed by ${from}, is not in package-lock.json`);
      }
    }
  };
  const add = (path: string) => {
    if (packages[path]) return;
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = ours[path]!;
    packages[path] = entry;
    for (const name of Object.keys(entry.dependencies ?? {})) add(resolve(path, name));
  };
  add('node_modules/aws-cdk-lib');
  add('node_modules/constructs');
  // aws-cdk-lib's bundled dependencies come inside its own tarball.
  for (const path of Object.keys(ours)) if (path.startsWith('node_modules/aws-cdk-lib/node_modules/')) add(path);
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  const { peerDependencies } = manifest as unknown as { peerDependencies: Record<string, string> };
  return {
    name: 'consumer-app',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'consumer-app', dependencies },
      [`node_modules/${manifest.name}`]: { version: JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version, resolved: `file:${basename(tarball)}`, integrity, peerDependencies },
      ...packages,
    },
  };
}

let app: string;
let template: { Resources: Record<string, { Type: string; Properties: any; Metadata?: Record<string, unknown> }> };
let outdir: string;

beforeAll(async () => {
  app = mkdtempSync(join(tmpdir(), 'consumer-app-'));
  // `npm pack` runs `npm run build` first (prepack): the compiled construct and the bundled functions.
  const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', app], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  const tarball = join(app, stdout.trim().split('\n').at(-1)!);
  const dependencies = {
    'aws-cdk-lib': installed('aws-cdk-lib'),
    constructs: installed('constructs'),
    [manifest.name]: `file:${basename(tarball)}`,
  };
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer-app', private: true, type: 'module', dependencies }));
  writeFileSync(join(app, 'package-lock.json'), JSON.stringify(consumerLock(dependencies, tarball)));
  // Offline: everything comes from npm's cache, which this repository's own install filled.
  await run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: app, maxBuffer: 16 * 1024 * 1024 });
  const { imports, body } = readmeSnippet();
  writeFileSync(
    join(app, 'app.ts'),
    [
      "import { App, Stack } from 'aws-cdk-lib';",
      "import type { Construct } from 'constructs';",
      ...imports,
      '',
      'class TodoStack extends Stack {',
      '  constructor(scope: Construct, id: string) {',
      '    super(scope, id);',
      ...body.map((line) => `    ${line}`),
      '  }',
      '}',
      '',
      "const app = new App({ outdir: 'cdk.out' });",
      "new TodoStack(app, 'TodoStack');",
      'app.synth();',
    ].join('\n'),
  );
  // Node.js 24 runs the TypeScript of the app itself, as a consumer's `npx tsx app.ts` would.
  await run(process.execPath, ['app.ts'], { cwd: app });
  outdir = join(app, 'cdk.out');
  template = JSON.parse(readFileSync(join(outdir, 'TodoStack.template.json'), 'utf8'));
}, 240_000);

afterAll(() => {
  if (app) rmSync(app, { recursive: true, force: true });
});

const functions = () => Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::Function');
const files = (dir: string) => readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();

describe('the packed construct in a new CDK app', () => {
  it('is installed without esbuild, Docker or the runtime\'s libraries', () => {
    expect(existsSync(join(app, 'node_modules', manifest.name, 'dist', 'infra', 'index.js'))).toBe(true);
    for (const absent of ['esbuild', 'tsx', '@aws-lambda-powertools/logger', '@aws-sdk/client-dynamodb', 'jose']) {
      expect(existsSync(join(app, 'node_modules', absent)), absent).toBe(false);
    }
  });

  it('synthesizes both functions from the bundles in the package', () => {
    const packaged = join(app, 'node_modules', manifest.name, 'dist', 'lambda-assets');
    expect(functions()).toHaveLength(2);
    // Each function's code is the staged asset its S3 key names (cdk.out/asset.<hash>).
    const assets = functions().map((fn) => join(outdir, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`));
    for (const fn of functions()) expect(fn.Properties).toMatchObject({ Handler: 'index.handler', Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    // Each asset is one of the package's bundles, file for file.
    const bundles = ['webhook', 'worker'].map((name) => join(packaged, name));
    for (const asset of assets) {
      const match = bundles.find((bundle) => JSON.stringify(files(bundle)) === JSON.stringify(files(asset)));
      expect(match, asset).toBeDefined();
      expect(readFileSync(join(asset, 'index.mjs')).equals(readFileSync(join(match!, 'index.mjs')))).toBe(true);
    }
    expect(new Set(assets).size).toBe(2);
  });

  it('grants the functions the existing table, by name, and nothing wider', () => {
    const statements = Object.values(template.Resources)
      .filter((resource) => resource.Type === 'AWS::IAM::Policy')
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const onTable = statements.filter((statement) => JSON.stringify(statement.Resource).includes(':table/todos-prod'));
    const actions = new Set(onTable.flatMap((statement) => [statement.Action].flat()));
    expect([...actions].sort()).toEqual(expect.arrayContaining(['dynamodb:BatchWriteItem', 'dynamodb:DescribeTable', 'dynamodb:Query']));
    for (const statement of statements) expect([statement.Action].flat()).not.toContain('dynamodb:*');
    const environment = functions().map((fn) => fn.Properties.Environment.Variables as Record<string, unknown>);
    for (const variables of environment) expect(JSON.parse(String(variables.DELETION_TARGETS))).toEqual([{ table: 'todos-prod' }]);
  });
});
