/**
 * `npm run build`: the package another CDK app installs. It compiles the construct (infra/ and
 * the runtime modules it reads) to JavaScript with type declarations in dist/, and bundles both
 * functions into dist/lambda-assets/, which the compiled construct uses: a consumer needs
 * neither esbuild nor Docker. `npm pack` runs it first.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildLambdaAsset, LAMBDA_ENTRIES, type LambdaName, PACKAGED_ASSETS } from '../infra/lambda-assets.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');

rmSync(DIST, { recursive: true, force: true });
execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
for (const name of Object.keys(LAMBDA_ENTRIES) as LambdaName[]) {
  const metafile = buildLambdaAsset(name, join(DIST, PACKAGED_ASSETS, name));
  const bytes = Object.entries(metafile.outputs).filter(([file]) => !file.endsWith('.map')).reduce((sum, [, output]) => sum + output.bytes, 0);
  console.log(`dist/${PACKAGED_ASSETS}/${name}: ${Math.round(bytes / 1024)} KiB of code`);
}
