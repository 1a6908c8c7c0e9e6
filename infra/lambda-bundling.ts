import { fileURLToPath } from 'node:url';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';

/** Every function of the webhook runs on this: the Node.js the tests run on (the `node` devDependency). */
export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;
/** Graviton: cheaper per millisecond than x86, and nothing in the bundle is native code. */
export const LAMBDA_ARCHITECTURE = Architecture.ARM_64;

/** An entry file under `lambda/`, found from this file so the construct works from any working directory. */
export const lambdaEntry = (file: string): string => fileURLToPath(new URL(`../lambda/${file}`, import.meta.url));

/**
 * esbuild settings shared by every function: one minified ES module with everything bundled.
 *
 * - The AWS SDK is bundled, not taken from the runtime: the version is the one package-lock.json
 *   pins and tests ran against, and only the commands the handler imports are loaded, which
 *   AWS's cold-start guidance recommends over the runtime's full SDK.
 * - `module` before `main` picks each package's ES module build, which esbuild can tree-shake.
 * - Some bundled CommonJS code calls `require` for Node built-ins; an ES module has no `require`,
 *   so the banner defines one (aliased so it cannot clash with a bundled `createRequire`).
 * - Source maps turn minified stack traces back into TypeScript lines; NODE_OPTIONS enables them
 *   (see the function's environment). Sources are left out of the map to keep the asset small.
 */
export const LAMBDA_BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  bundleAwsSDK: true,
  banner:
    "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
};

/** What the function's environment needs for the source maps above to apply. */
export const SOURCE_MAPS_ENVIRONMENT = { NODE_OPTIONS: '--enable-source-maps' } as const;
