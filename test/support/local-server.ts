import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

export interface RunningLocalServer {
  readonly url: string;
  readonly apiKey: string;
  readonly dynamoDbEndpoint: string;
  readonly process: ChildProcess;
  output(): string;
  /** Ctrl-C, as a person stops it; resolves once every process of it has exited. */
  stop(): Promise<void>;
}

const ROOT = new URL('../../', import.meta.url);

/** Runs `npm start` as a person would, on free ports, and reads what it printed. */
export async function startLocalServer(env: Record<string, string> = {}): Promise<RunningLocalServer> {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', DYNAMODB_PORT: '0', ...env },
    // Its own process group, so the signal reaches npm and node as Ctrl-C does.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const exited = once(child, 'exit');

  const started = Date.now();
  while (!/Ctrl-C stops it/.test(output)) {
    if (child.exitCode !== null || Date.now() - started > 60_000) {
      child.kill('SIGKILL');
      throw new Error(`npm start did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const field = (label: string) => new RegExp(`${label}\\s+(\\S+)`).exec(output)?.[1] ?? '';
  return {
    url: field('Webhook URL'),
    apiKey: field('API key'),
    dynamoDbEndpoint: field('DynamoDB'),
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGINT');
      await exited;
    },
  };
}
