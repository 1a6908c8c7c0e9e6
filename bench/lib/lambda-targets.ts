import { lambdaEntry } from '../../infra/lambda-bundling.ts';
import { bundleLikeLambda, cdkAsset, sameAsCdk } from './bundles.ts';
import { declaredEnvironment, FALLBACK_ENVIRONMENT, lambdaEnvironment } from './lambda-env.ts';
import { baseline, outDir } from './paths.ts';

/** The bundles the cold-start and warm benchmarks run, and the environment they run in. */
export interface LambdaTargets {
  /** The webhook's index.mjs. */
  readonly webhook: string;
  /** Where it came from: `cdk synth`, or (when synth failed) esbuild with the same options. */
  readonly webhookSource: string;
  /** Bundling lambda/index.ts with the baselines' options gave CDK's bytes exactly. */
  readonly optionsMatchCdk: boolean | undefined;
  /** Imports DynamoDBClient and builds one: the cold-start baseline. */
  readonly dynamoDbOnly: string;
  /** The original Passport example's logic as a handler: the warm baseline. */
  readonly passportMinimal: string;
  readonly env: Record<string, string>;
}

export async function prepareLambdaTargets(endpoint: string, log: (message: string) => void): Promise<LambdaTargets> {
  log('building the Lambda asset with `cdk synth` (cached until infra/ or lambda/ change)');
  let webhook: string;
  let webhookSource: string;
  let optionsMatchCdk: boolean | undefined;
  let declared: Readonly<Record<string, unknown>>;
  try {
    const asset = await cdkAsset(outDir('bundles', 'webhook-cdk'));
    webhook = asset.code;
    webhookSource = 'cdk synth';
    declared = declaredEnvironment(asset.template);
    optionsMatchCdk = await sameAsCdk(asset, lambdaEntry('index.ts'), outDir('bundles', 'webhook-check'));
  } catch (error) {
    // Another change in progress can break the synth; the code is still bundled CDK's way.
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    log(`cdk synth failed (${reason}); bundling lambda/index.ts with the same esbuild options instead`);
    webhook = await bundleLikeLambda(lambdaEntry('index.ts'), outDir('bundles', 'webhook'));
    webhookSource = `esbuild with CDK's options (cdk synth failed: ${reason})`;
    declared = FALLBACK_ENVIRONMENT;
  }
  return {
    webhook,
    webhookSource,
    optionsMatchCdk,
    dynamoDbOnly: await bundleLikeLambda(baseline('dynamodb-only-handler.ts'), outDir('bundles', 'dynamodb-only')),
    passportMinimal: await bundleLikeLambda(baseline('passport-minimal-handler.ts'), outDir('bundles', 'passport-minimal')),
    env: lambdaEnvironment(declared, endpoint),
  };
}
