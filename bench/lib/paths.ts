import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root, whatever the working directory. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Bundles, logs and partial results: ignored by git (`bench/out/` in .gitignore). */
export const OUT = fileURLToPath(new URL('../out/', import.meta.url));
export const RESULTS_FILE = fileURLToPath(new URL('../results.json', import.meta.url));

export const probe = (name: string): string => fileURLToPath(new URL(`../probes/${name}`, import.meta.url));
export const baseline = (name: string): string => fileURLToPath(new URL(`../baselines/${name}`, import.meta.url));

export function outDir(...parts: string[]): string {
  const dir = [OUT, ...parts].join('/');
  mkdirSync(dir, { recursive: true });
  return dir;
}
