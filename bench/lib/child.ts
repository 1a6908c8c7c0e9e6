import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Readable } from 'node:stream';

export interface ProbeOptions {
  readonly args: readonly string[];
  /** The child's whole environment: nothing leaks in from the shell (an AWS_PROFILE would change the SDK's path). */
  readonly env: Readonly<Record<string, string>>;
  /** stdout and stderr are appended here, as Lambda ships them to its log, never to the terminal. */
  readonly logFile: string;
  readonly timeoutMs?: number;
}

export interface ProbeRun<T> {
  readonly messages: T[];
  /** ms from just before spawn() to the first message's arrival: what the parent saw of the child's start. */
  readonly firstMessageMs: number | undefined;
}

/**
 * Runs `node <args>` in a fresh process. The child reports on fd 3, one JSON object per line,
 * so that its stdout stays the handler's log, as in Lambda.
 */
export function runProbe<T>({ args, env, logFile, timeoutMs = 120_000 }: ProbeOptions): Promise<ProbeRun<T>> {
  const log = openSync(logFile, 'a');
  const started = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', log, log, 'pipe'] });
  closeSync(log);
  const messages: T[] = [];
  let firstMessageMs: number | undefined;
  let buffered = '';
  (child.stdio[3] as Readable).setEncoding('utf8').on('data', (chunk: string) => {
    firstMessageMs ??= performance.now() - started;
    buffered += chunk;
    for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
      messages.push(JSON.parse(buffered.slice(0, end)) as T);
      buffered = buffered.slice(end + 1);
    }
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ messages, firstMessageMs });
      else reject(new Error(`node ${args.join(' ')} exited with ${signal ?? code}; see ${logFile}`));
    });
  });
}
