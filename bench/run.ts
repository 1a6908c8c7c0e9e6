/**
 * `npm run bench [-- --quick] [-- --only init,goodput,bulk,answer-time,reconcile]`
 *
 * Runs every benchmark in one run, side by side with its baselines, prints one Markdown table
 * with each row's ratio, target and whether it was met, and the machine it ran on, and writes
 * bench/results.json. Not part of `npm test`: its numbers are the machine's, not the code's
 * pass or fail. `--quick` runs small sizes, to check the benchmarks themselves, and like `--only`
 * writes bench/out/results.partial.json instead.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { useLocalAwsDefaults } from '../local/aws-env.ts';
import { answerTime } from './answer-time.ts';
import { bulk } from './bulk.ts';
import { goodput } from './goodput.ts';
import { init } from './init.ts';
import { benchReconcile } from './reconcile.ts';
import { outPath } from './lib/processes.ts';
import { markdownTable, notes, type Row, ratioOf, verdict } from './lib/rows.ts';

export interface BenchContext {
  readonly quick: boolean;
  /** Progress, on stderr. */
  log(message: string): void;
}

const BENCHMARKS: Record<string, (ctx: BenchContext) => Promise<readonly Row[]>> = {
  init,
  goodput,
  bulk,
  'answer-time': answerTime,
  reconcile: ({ quick }) => benchReconcile(quick ? { todos: 10_000, reps: 2, users: 500 } : {}),
};

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
const selected = values.only ? values.only.split(',').map((name) => name.trim()) : Object.keys(BENCHMARKS);
const unknown = selected.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; choose from ${Object.keys(BENCHMARKS).join(', ')}`);
  process.exit(2);
}

useLocalAwsDefaults(process.env);
const started = performance.now();
const seconds = () => Math.round((performance.now() - started) / 100) / 10;
const log = (message: string) => console.error(`[bench ${String(Math.round(seconds())).padStart(3)} s] ${message}`);
const load = () => loadavg().map((n) => n.toFixed(1)).join(' ');
const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, loadBefore: load() };
log(`node ${machine.node}, ${machine.cores} × ${machine.cpu}, load ${machine.loadBefore}${values.quick ? ', --quick' : ''}`);

const rows: Row[] = [];
const durations: Record<string, number> = {};
for (const name of selected) {
  const at = seconds();
  rows.push(...(await BENCHMARKS[name]!({ quick: values.quick, log })));
  durations[name] = Math.round((seconds() - at) * 10) / 10;
}

const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
})();
const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
const complete = !values.quick && selected.length === Object.keys(BENCHMARKS).length;
const file = complete ? new URL('./results.json', import.meta.url).pathname : outPath('results.partial.json');
const results = {
  date: new Date().toISOString(),
  command,
  commit,
  machine: { ...machine, loadAfter: load() },
  seconds: { total: seconds(), ...durations },
  rows: rows.map((row) => ({ ...row, ratio: ratioOf(row), verdict: verdict(row) })),
};
writeFileSync(file, `${JSON.stringify(results, (_key, value: unknown) => (typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 1e4) / 1e4 : value), 2)}\n`);

console.log(`\n${command}: ${results.date}, commit ${commit}, ${results.seconds.total} s`);
console.log(`Machine: ${machine.cores} × ${machine.cpu}, Node ${machine.node}, load average ${machine.loadBefore} → ${results.machine.loadAfter}\n`);
console.log(markdownTable(rows));
const footnotes = notes(rows);
if (footnotes) console.log(`\n${footnotes}`);
console.log(`\nResults: ${file}`);
// Clients' keep-alive sockets and the children's pipes must not hold the run open.
process.exit(0);
