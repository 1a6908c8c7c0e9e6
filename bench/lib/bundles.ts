import { cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Runtime } from 'aws-cdk-lib/aws-lambda';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { type BuildOptions, build } from 'esbuild';
import { LAMBDA_BUNDLING, LAMBDA_RUNTIME } from '../../infra/lambda-bundling.ts';
import { FUNCTION_LOGICAL_ID, STACK_ID } from '../../infra/names.ts';
import { synthesizedAssembly } from '../../test/support/synth.ts';
import { ROOT } from './paths.ts';

export interface Template {
  readonly Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }>;
}

export interface CdkAsset {
  /** A copy of the asset directory CDK staged (what the function's zip holds), under bench/out. */
  readonly dir: string;
  readonly code: string;
  readonly template: Template;
}

const isMissing = (error: unknown) => error instanceof Error && 'code' in error && error.code === 'ENOENT';

/**
 * The webhook function's asset as `npx cdk synth` builds it (real bundling, offline), through
 * the cached assembly the tests use: synthesized again only when infra/ or lambda/ changed.
 * The asset is copied to `copyTo` at once: a test run elsewhere may synthesize newer sources
 * and prune this assembly while the benchmarks still load it.
 */
export async function cdkAsset(copyTo: string): Promise<CdkAsset> {
  for (let attempt = 1; ; attempt++) {
    const outdir = await synthesizedAssembly();
    try {
      const template = JSON.parse(readFileSync(join(outdir, `${STACK_ID}.template.json`), 'utf8')) as Template;
      const assetPath = template.Resources[FUNCTION_LOGICAL_ID]?.Metadata?.['aws:asset:path'];
      if (typeof assetPath !== 'string') throw new Error(`${FUNCTION_LOGICAL_ID} has no asset path in the synthesized template`);
      rmSync(copyTo, { recursive: true, force: true });
      cpSync(join(outdir, assetPath), copyTo, { recursive: true });
      return { dir: copyTo, code: join(copyTo, 'index.mjs'), template };
    } catch (error) {
      // Pruned between the synth and the copy: synthesize (or find) the current one again.
      if (!isMissing(error) || attempt === 3) throw error;
    }
  }
}

/**
 * The esbuild options NodejsFunction derives from `bundling` and `runtime`, for the settings
 * infra/lambda-bundling.ts uses (aws-cdk-lib's Bundling.buildEsbuildArgs, as a build() call
 * instead of a command line). Settings this mapping does not know are refused rather than
 * silently dropped, so a change in infra/ cannot leave the baseline built differently;
 * `sameAsCdk` below checks the result byte for byte.
 */
export function esbuildOptionsLike(bundling: BundlingOptions, runtime: Runtime): BuildOptions {
  const known = new Set(['format', 'minify', 'sourceMap', 'sourcesContent', 'mainFields', 'bundleAwsSDK', 'banner']);
  const unknown = Object.keys(bundling).filter((key) => !known.has(key));
  if (unknown.length > 0) throw new Error(`bench/lib/bundles.ts does not map the bundling option(s) ${unknown.join(', ')}`);
  const version = /^nodejs(\d+)/.exec(runtime.name)?.[1];
  if (!version) throw new Error(`Cannot read a Node.js version from the runtime ${runtime.name}`);
  return {
    bundle: true,
    platform: 'node',
    target: `node${version}`,
    format: bundling.format,
    minify: bundling.minify ?? false,
    sourcemap: bundling.sourceMap ?? false,
    sourcesContent: bundling.sourcesContent ?? true,
    mainFields: bundling.mainFields,
    // bundleAwsSDK: nothing is external; without it CDK would mark @aws-sdk/* external.
    external: bundling.bundleAwsSDK ? [] : ['@aws-sdk/*'],
    banner: bundling.banner ? { js: bundling.banner } : undefined,
    logLevel: 'error',
  };
}

export const LAMBDA_ESBUILD_OPTIONS: BuildOptions = esbuildOptionsLike(LAMBDA_BUNDLING, LAMBDA_RUNTIME);

/** Bundles `entry` into `outdir/index.mjs` (and its map) exactly as the function's code is bundled. */
export async function bundleLikeLambda(entry: string, outdir: string): Promise<string> {
  rmSync(outdir, { recursive: true, force: true });
  const outfile = join(outdir, LAMBDA_ESBUILD_OPTIONS.format === 'esm' ? 'index.mjs' : 'index.js');
  await build({ ...LAMBDA_ESBUILD_OPTIONS, entryPoints: [entry], outfile, absWorkingDir: ROOT });
  return outfile;
}

/** True when bundling the function's entry with LAMBDA_ESBUILD_OPTIONS gives CDK's code byte for byte. */
export async function sameAsCdk(asset: CdkAsset, entry: string, outdir: string): Promise<boolean> {
  const rebuilt = await bundleLikeLambda(entry, outdir);
  return readFileSync(rebuilt).equals(readFileSync(asset.code));
}

/** Bytes each package (or source folder) contributes to the minified bundle of `entry`. */
export async function bytesByPackage(entry: string): Promise<Record<string, number>> {
  const { metafile } = await build({ ...LAMBDA_ESBUILD_OPTIONS, entryPoints: [entry], outfile: 'out.mjs', write: false, metafile: true, absWorkingDir: ROOT });
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint !== undefined) ?? Object.values(metafile.outputs)[0]!;
  const sizes: Record<string, number> = {};
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? input.split('/').slice(0, 2).join('/');
    sizes[name] = (sizes[name] ?? 0) + bytesInOutput;
  }
  return sizes;
}
