import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** What `npx cdk synth` reads: the app, the handler it bundles, and the settings of both. */
const INPUTS = ['infra', 'lambda', 'cdk.json', 'package-lock.json', 'tsconfig.json'];
const CACHE = join(ROOT, 'node_modules', '.cache', 'passport-webhook-synth');
const LOCK_STALE_MS = 5 * 60_000;

/**
 * The cloud assembly `npx cdk synth` writes, with real bundling, offline. It is built once per
 * state of its inputs and shared: test files in other workers wait for the one building it, and a
 * re-run with unchanged sources reuses it. Returns the output directory (the `cdk.out` to read).
 */
export async function synthesizedAssembly(): Promise<string> {
  const outdir = join(CACHE, inputsHash());
  const lock = `${outdir}.lock`;
  mkdirSync(CACHE, { recursive: true });
  for (;;) {
    if (existsSync(join(outdir, 'manifest.json'))) return outdir;
    try {
      mkdirSync(lock);
    } catch {
      // Another worker is synthesizing; a lock left by a killed run is taken over.
      const lockedAt = statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - lockedAt > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    try {
      await synthesizeInto(outdir);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

async function synthesizeInto(outdir: string): Promise<void> {
  const building = `${outdir}.building`;
  rmSync(building, { recursive: true, force: true });
  // The command a person runs, so cdk.json, tsx and the cdk-nag checks are all part of it.
  // Notices and telemetry are network calls a test has no use for.
  await run('npx', ['cdk', 'synth', '--quiet', '--no-notices', '--output', building], {
    cwd: ROOT,
    env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
    maxBuffer: 16 * 1024 * 1024,
  });
  renameSync(building, outdir);
  // Assemblies of older sources only take space.
  for (const entry of readdirSync(CACHE)) {
    const path = join(CACHE, entry);
    if (path !== outdir && !entry.endsWith('.lock')) rmSync(path, { recursive: true, force: true });
  }
}

function inputsHash(): string {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap((input) => files(join(ROOT, input))).sort()) {
    hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

function files(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((entry) => files(join(path, entry)));
}
