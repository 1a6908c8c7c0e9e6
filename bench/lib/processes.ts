import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';

/** Bundles, events and logs: ignored by git. */
export const OUT = fileURLToPath(new URL('../out/', import.meta.url));

export function outPath(...parts: string[]): string {
  const dir = join(OUT, ...parts.slice(0, -1));
  mkdirSync(dir, { recursive: true });
  return join(dir, parts.at(-1)!);
}

export interface NodeRun<T> {
  /** What the child reported on fd 3. */
  readonly report: T;
  /** From just before spawn() to the report's arrival: the child's start as its parent sees it. */
  readonly ms: number;
}

/**
 * `node <args>` in a fresh process with exactly `env` (nothing leaks in from the shell), its
 * output appended to `logFile`, as Lambda ships a function's output to its log.
 */
export function runNode<T>(args: readonly string[], env: Record<string, string>, logFile: string): Promise<NodeRun<T>> {
  const log = openSync(logFile, 'a');
  const started = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', log, log, 'pipe'] });
  closeSync(log);
  let text = '';
  let ms = 0;
  (child.stdio[3] as Readable).setEncoding('utf8').on('data', (chunk: string) => {
    ms ||= performance.now() - started;
    text += chunk;
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0 && text) resolve({ report: JSON.parse(text) as T, ms });
      else reject(new Error(`node ${args.join(' ')} exited with ${code}; see ${logFile}`));
    });
  });
}
