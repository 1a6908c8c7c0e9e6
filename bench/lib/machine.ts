import { execFileSync } from 'node:child_process';
import { cpus, freemem, loadavg, platform, release, totalmem } from 'node:os';
import { ROOT } from './paths.ts';

export interface MachineInfo {
  readonly node: string;
  readonly platform: string;
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly totalMemoryGiB: number;
  readonly freeMemoryGiB: number;
  /** 1, 5 and 15 minute load averages: above the CPU count, other work shared the machine. */
  readonly loadAverage: readonly number[];
}

const gib = (bytes: number) => Math.round((bytes / 1024 ** 3) * 10) / 10;

export function machineInfo(): MachineInfo {
  return {
    node: process.version,
    platform: `${platform()} ${release()}`,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cpuCount: cpus().length,
    totalMemoryGiB: gib(totalmem()),
    freeMemoryGiB: gib(freemem()),
    loadAverage: loadavg().map((n) => Math.round(n * 100) / 100),
  };
}

export interface SourceState {
  readonly commit: string | undefined;
  /** Paths under lambda/, local/ and infra/ that differ from the commit: what was measured is not quite it. */
  readonly uncommitted: readonly string[];
}

/** Which code was measured. Read-only git calls; absent git, unknown. */
export function sourceState(): SourceState {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const commit = git('rev-parse', 'HEAD');
    const uncommitted = git('status', '--porcelain', '--', 'lambda', 'local', 'infra')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(3));
    return { commit, uncommitted };
  } catch {
    return { commit: undefined, uncommitted: [] };
  }
}
