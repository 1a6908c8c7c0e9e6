import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { ROOT } from './paths.ts';

/** Servers started and not yet stopped: run.ts stops them if the run is interrupted. */
const running = new Set<ServerProcess>();

/** Stops every server still running; they live in process groups of their own, which Ctrl-C does not reach. */
export const stopAllServers = (): Promise<void[]> => Promise.all([...running].map((server) => server.stop()));

export interface ServerProcess {
  /** The first capture group of `ready` in the server's output. */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts a server as a person would, in its own process group, with its output going to
 * `logFile` (never to a pipe this process would have to drain while it measures), and waits for
 * the line that says it is listening.
 */
export async function startServer(command: string, args: readonly string[], env: NodeJS.ProcessEnv, logFile: string, ready: RegExp): Promise<ServerProcess> {
  const log = openSync(logFile, 'w');
  const child: ChildProcess = spawn(command, args, { cwd: ROOT, env, detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  const exited = once(child, 'exit');
  const started = Date.now();
  let match: RegExpExecArray | null = null;
  while (!(match = ready.exec(readFileSync(logFile, 'utf8')))) {
    if (child.exitCode !== null || Date.now() - started > 60_000) {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
      throw new Error(`${command} ${args.join(' ')} did not start; see ${logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const server: ServerProcess = {
    url: match[1]!,
    async stop() {
      running.delete(server);
      // The whole group (npm, tsx and node for `npm start`), as Ctrl-C would.
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGINT');
      await exited;
    },
  };
  running.add(server);
  return server;
}
