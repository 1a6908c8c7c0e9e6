/**
 * `npm run bench [-- --quick] [-- --full] [-- --only cold,warm,deletion,throughput]`
 *
 * Runs the benchmarks of issue #5, each comparing something of ours with a baseline measured
 * side by side in the same run, prints the table (Markdown, as the README shows it) and writes
 * bench/results.json with the raw numbers and the machine they came from. Not part of
 * `npm test`: it takes minutes and its numbers are the machine's, not pass/fail of the code.
 *
 *   --quick  fewer repetitions and sizes (about a minute), to check the benchmarks themselves
 *   --full   also run what is otherwise extrapolated (the naive deletion of 50,000 Todos)
 *   --only   some benchmarks
 *
 * Only a complete run without --quick writes bench/results.json; the others write theirs under
 * bench/out/, next to the logs of every process the benchmarks start.
 */
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { coldStart } from './cold-start.ts';
import { deletion } from './deletion.ts';
import type { BenchContext, BenchResult } from './lib/context.ts';
import { LEGEND, markdownTable, notes } from './lib/format.ts';
import { type LambdaTargets, prepareLambdaTargets } from './lib/lambda-targets.ts';
import { startLocalDynamoDb } from './lib/local-dynamodb.ts';
import { machineInfo, sourceState } from './lib/machine.ts';
import { OUT, outDir, RESULTS_FILE, ROOT } from './lib/paths.ts';
import type { Row } from './lib/rows.ts';
import { stopAllServers } from './lib/server-process.ts';
import { round } from './lib/stats.ts';
import { throughput } from './throughput.ts';
import { warmOverhead } from './warm-overhead.ts';

const BENCHMARKS: Record<string, (ctx: BenchContext) => Promise<BenchResult>> = {
  cold: coldStart,
  warm: warmOverhead,
  deletion,
  throughput,
};

// Node 20 here, 22 in Lambda: the SDK's notice about Node 20 says nothing about what is measured.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    full: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const selected = values.only ? values.only.split(',').map((name) => name.trim()) : Object.keys(BENCHMARKS);
const unknown = selected.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; choose from ${Object.keys(BENCHMARKS).join(', ')}`);
  process.exit(2);
}

const started = performance.now();
const log = (message: string) => console.error(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}`);
const machineBefore = machineInfo();
// The code measured is the code at the start: others may commit while this runs.
const source = sourceState();
log(`node ${machineBefore.node}, ${machineBefore.cpuCount} CPUs, load ${machineBefore.loadAverage.join(' ')}${values.quick ? ', --quick' : ''}${values.full ? ', --full' : ''}`);

const dynamoDb = await startLocalDynamoDb(join(outDir('logs'), 'dynalite.log'));
// Ctrl-C: the servers under test run in process groups of their own, so they are stopped here.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping the servers and dynalite`);
    void Promise.all([stopAllServers(), dynamoDb.stop()]).finally(() => process.exit(130));
  });
}
let targets: Promise<LambdaTargets> | undefined;
const ctx: BenchContext = {
  quick: values.quick,
  full: values.full,
  dynamoDb,
  targets: () => (targets ??= prepareLambdaTargets(dynamoDb.endpoint, log)),
  log,
};

const rows: Row[] = [];
const raw: Record<string, unknown> = {};
const seconds: Record<string, number> = {};
try {
  for (const name of selected) {
    const benchmarkStarted = performance.now();
    const result = await BENCHMARKS[name]!(ctx);
    seconds[name] = Math.round((performance.now() - benchmarkStarted) / 100) / 10;
    rows.push(...result.rows);
    raw[name] = result.raw;
  }
} finally {
  await dynamoDb.stop();
}

const totalSeconds = Math.round((performance.now() - started) / 100) / 10;
const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
const results = {
  date: new Date().toISOString(),
  command,
  mode: values.quick ? 'quick' : values.full ? 'full' : 'default',
  durationSeconds: { total: totalSeconds, ...seconds },
  machine: { before: machineBefore, after: machineInfo() },
  source,
  rows,
  raw,
};
// Only a complete run at full size replaces bench/results.json, the numbers Performance in the README shows.
const complete = selected.length === Object.keys(BENCHMARKS).length && !values.quick;
const file = complete ? RESULTS_FILE : join(OUT, values.quick ? 'results.quick.json' : 'results.partial.json');
// Four decimals are more than any of these measurements resolves.
const rounded = (_key: string, value: unknown) => (typeof value === 'number' && !Number.isInteger(value) ? round(value, 4) : value);
writeFileSync(file, `${JSON.stringify(results, rounded, 2)}\n`);

const { after } = results.machine;
console.log(
  `\n${command}: ${results.date}, ${totalSeconds} s, node ${after.node}, ${after.cpuCount} × ${after.cpuModel}, ` +
    `load ${machineBefore.loadAverage[0]} → ${after.loadAverage[0]}, commit ${source.commit?.slice(0, 7) ?? 'unknown'}` +
    `${source.uncommitted.length > 0 ? ` + ${source.uncommitted.length} uncommitted file(s)` : ''}\n`,
);
console.log(markdownTable(rows));
console.log(`\n${LEGEND}`);
const footnotes = notes(rows);
if (footnotes) console.log(`\n${footnotes}`);
console.log(`\nRaw numbers: ${relative(ROOT, file)}`);
