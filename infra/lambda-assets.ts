import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Code } from 'aws-cdk-lib/aws-lambda';

/** What the bench reads of esbuild's metafile; declared here so the package's types need no esbuild. */
export interface BundleMetafile {
  readonly outputs: Record<string, { readonly bytes: number; readonly entryPoint?: string; readonly inputs: Record<string, { readonly bytesInOutput: number }> }>;
}

/** esbuild's options, as far as these bundles use them. */
export type LambdaBuildOptions = Readonly<Record<string, unknown>>;

interface Esbuild {
  readonly version: string;
  buildSync(options: LambdaBuildOptions): { readonly metafile?: BundleMetafile };
}

/** The two functions, by the file under `lambda/` that exports `handler`. */
export const LAMBDA_ENTRIES = { webhook: 'webhook-lambda.ts', worker: 'worker-lambda.ts' } as const;
export type LambdaName = keyof typeof LAMBDA_ENTRIES;

/** Where `npm run build` puts the bundles inside the package: `dist/lambda-assets/<name>/index.mjs`. */
export const PACKAGED_ASSETS = 'lambda-assets';

const HERE = dirname(fileURLToPath(import.meta.url));
/** This module runs from `dist/infra/` in the published package, from `infra/` in the repository. */
const PACKAGED = HERE.endsWith(`${join('dist', 'infra')}`);
const ROOT = PACKAGED ? join(HERE, '..', '..') : join(HERE, '..');

/**
 * esbuild settings of every function: ES modules split into chunks, so that what a delivery does
 * not use (signature checks, Secrets Manager, SQS, FusionAuth's API) sits in a chunk of its own
 * that only its `import()` loads.
 *
 * - The AWS SDK is bundled, not taken from the runtime: the version is the one package-lock.json
 *   pins and the tests ran against, and only the commands the code imports are loaded.
 * - `module` before `main` picks each package's ES module build, which esbuild can tree-shake.
 * - Some bundled CommonJS code calls `require` for Node built-ins; an ES module has no `require`,
 *   so the banner defines one in every chunk (aliased so it cannot clash with a bundled one).
 * - Source maps are written but not enabled in the functions: see the bench's source-map row.
 */
export function lambdaBuildOptions(name: LambdaName, outdir: string): LambdaBuildOptions {
  return {
    absWorkingDir: ROOT,
    entryPoints: { index: join(ROOT, 'lambda', LAMBDA_ENTRIES[name]) },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    legalComments: 'none',
    metafile: true,
    logLevel: 'error',
  };
}

/** Bundles `name` into `outdir` (emptied first); the metafile says what went where. */
export function buildLambdaAsset(name: LambdaName, outdir: string): BundleMetafile {
  rmSync(outdir, { recursive: true, force: true });
  const { metafile } = esbuild().buildSync(lambdaBuildOptions(name, outdir));
  return metafile!;
}

/**
 * The code of function `name`: in the published package, the bundle `npm run build` made, so a
 * consumer needs neither esbuild nor Docker; in this repository, a bundle of the current
 * `lambda/` sources, built at synth into a cache keyed by everything that goes into it.
 */
export function lambdaCode(name: LambdaName): Code {
  if (PACKAGED) {
    const packaged = join(ROOT, 'dist', PACKAGED_ASSETS, name);
    if (!existsSync(join(packaged, 'index.mjs'))) throw new Error(`The package lacks its ${name} bundle (${packaged}): it was published without \`npm run build\`.`);
    return Code.fromAsset(packaged);
  }
  return Code.fromAsset(cachedBuild(name));
}

function cachedBuild(name: LambdaName): string {
  const dir = join(ROOT, 'node_modules', '.cache', 'passport-webhook', 'lambda-assets', `${name}-${sourceHash(name)}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  // Built beside and moved into place: test workers synthesizing at once never see half a bundle.
  const building = `${dir}.${process.pid}.${Date.now()}`;
  buildLambdaAsset(name, building);
  writeFileSync(join(building, '.complete'), '');
  try {
    mkdirSync(dirname(dir), { recursive: true });
    renameSync(building, dir);
  } catch (error) {
    // Another process put the same bundle there first.
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(join(dir, '.complete'))) throw error;
  }
  return dir;
}

/** Everything a bundle is made of: the sources, the locked dependencies, esbuild and its settings. */
function sourceHash(name: LambdaName): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(lambdaBuildOptions(name, '')));
  hash.update(esbuild().version);
  hash.update(readFileSync(join(ROOT, 'package-lock.json')));
  const lambdaDir = join(ROOT, 'lambda');
  for (const file of listFiles(lambdaDir)) hash.update(relative(lambdaDir, file)).update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => (entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)]));
}

/** Loaded only to build: a consumer of the package never needs it. */
const esbuild = (): Esbuild => createRequire(import.meta.url)('esbuild') as Esbuild;
