import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RECORDER = fileURLToPath(new URL('record-module-loads.mjs', import.meta.url));
const CDK_APP = fileURLToPath(new URL('../support/cdk-app.ts', import.meta.url));

/** Targets that run the runtime's checks at synth: the static ones on an imported table, and resolveTarget on a table of the app. */
const SYNTH = `
const { synthesizeApp } = await import(${JSON.stringify(CDK_APP)});
synthesizeApp({ deletionTargets: '[{"table":"Todos","attribute":"ownerId"}]', fusionAuthUrl: 'https://auth.example.com' });
synthesizeApp({ todoUserIdAttribute: 'ownerId' });
`;

it('synthesizes the app, running the runtime\'s target checks, without loading the AWS SDK', async () => {
  // A process of its own: vitest's module runner would hide what Node itself loads.
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', '--import', RECORDER, '--input-type=module', '--eval', SYNTH],
    { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
  );
  const loaded = JSON.parse(stdout.trim().split('\n').at(-1)!) as string[];
  // The checks did run: the runtime's target modules were loaded...
  expect(loaded).toEqual(expect.arrayContaining([expect.stringMatching(/\/lambda\/targets\/target-keys\.ts$/)]));
  // ...and neither they nor anything else brought the SDK along.
  expect(loaded.filter((module) => /\/node_modules\/@aws-sdk\//.test(module))).toEqual([]);
}, 60_000);
