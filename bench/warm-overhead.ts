/**
 * 2. Warm overhead: the handler's latency per call, median and p99, against a minimal handler
 * that does only the original Passport example's logic, both called in one process in
 * alternating batches. Two deliveries: an ignored event (no I/O) and a user.delete of a user
 * with no Todos (one Query to dynalite). The handler is the CDK asset's, i.e. createWebhook()
 * as lambda/wiring.ts builds it, with the function's environment (POWERTOOLS_LOG_LEVEL=INFO,
 * metrics on): its log and EMF lines go to a file, as Lambda's go to its log agent, not a TTY.
 *
 * A second process repeats the ignored event with logs and metrics off: not a target, it tells
 * how much of the overhead is observability and how much the request's own path.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext, BenchResult } from './lib/context.ts';
import { runProbe } from './lib/child.ts';
import { EMPTY_USER_ID, httpApiEvent, ignoredBody, userDeleteBody } from './lib/events.ts';
import { BENCH_API_KEY } from './lib/lambda-env.ts';
import { outDir, probe } from './lib/paths.ts';
import { type Row, row, type Unit } from './lib/rows.ts';
import { roundSummary, type Summary, summarize } from './lib/stats.ts';

const SECTION = 'Warm';
/** The target: at most 2× the minimal handler's latency. */
const TARGET = 2;
const BATCH = 250;
const WARMUP = 500;
/** Powertools' own switches: no log line, no EMF line. */
const QUIET = { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' };

interface Scenario {
  readonly name: string;
  readonly label: string;
  readonly body: () => string;
  readonly unit: Unit;
  /** From ms to `unit`. */
  readonly scale: number;
}

const IGNORED: Scenario = { name: 'ignored', label: 'ignored event', body: ignoredBody, unit: 'µs', scale: 1000 };
const USER_DELETE: Scenario = { name: 'user.delete', label: 'user.delete, no Todos', body: () => userDeleteBody(EMPTY_USER_ID), unit: 'ms', scale: 1 };

interface ProbeReport {
  readonly scenario: string;
  readonly samples: Record<'ours' | 'minimal', number[]>;
  readonly failures: Record<'ours' | 'minimal', number>;
}

type Measured = Record<string, { ours: Summary; minimal: Summary }>;

async function measure(
  ctx: BenchContext,
  run: string,
  scenarios: readonly Scenario[],
  env: Record<string, string>,
  calls: number,
): Promise<Measured> {
  const targets = await ctx.targets();
  const logFile = join(outDir('logs'), `warm-${run}.log`);
  writeFileSync(logFile, '');
  const configFile = join(outDir('events'), `warm-${run}.json`);
  writeFileSync(
    configFile,
    JSON.stringify({
      handlers: { ours: targets.webhook, minimal: targets.passportMinimal },
      scenarios: scenarios.map((s) => {
        const eventFile = join(outDir('events'), `warm-${s.name}.json`);
        writeFileSync(eventFile, JSON.stringify(httpApiEvent(s.body(), BENCH_API_KEY)));
        return { name: s.name, eventFile };
      }),
      calls,
      batch: BATCH,
      warmup: WARMUP,
    }),
  );
  const { messages } = await runProbe<ProbeReport>({ args: [probe('warm-probe.mjs'), configFile], env, logFile, timeoutMs: 600_000 });
  const measured: Measured = {};
  for (const scenario of scenarios) {
    const report = messages.find((m) => m.scenario === scenario.name);
    if (!report) throw new Error(`the warm probe reported nothing for ${scenario.name}; see ${logFile}`);
    if (report.failures.ours + report.failures.minimal > 0) {
      throw new Error(`${scenario.name}: answers other than 200 (${JSON.stringify(report.failures)}); see ${logFile}`);
    }
    measured[scenario.name] = { ours: summarize(report.samples.ours), minimal: summarize(report.samples.minimal) };
  }
  return measured;
}

export async function warmOverhead(ctx: BenchContext): Promise<BenchResult> {
  const { env } = await ctx.targets();
  const calls = ctx.quick ? 1_000 : 5_000;
  const count = calls.toLocaleString('en-US');
  ctx.log(`warm: ${count} calls per handler and delivery, in alternating batches of ${BATCH}`);
  const main = await measure(ctx, 'main', [IGNORED, USER_DELETE], env, calls);
  ctx.log('warm: the ignored event again, logs and metrics off (diagnostic)');
  const quiet = (await measure(ctx, 'quiet', [IGNORED], { ...env, ...QUIET }, calls))[IGNORED.name]!;

  const ignored = main[IGNORED.name]!;
  const observabilityUs = (ignored.ours.median - quiet.ours.median) * 1000;
  const missNote =
    `logs and metrics (two synchronous JSON lines per delivery) take about ${observabilityUs.toFixed(0)} µs of it; ` +
    `without them the handler takes ${(quiet.ours.median * 1000).toFixed(0)} µs, ` +
    `${(quiet.ours.median / quiet.minimal.median).toFixed(1)}× the example (see the diagnostic row). See Performance in the README.`;

  const rows: Row[] = [];
  for (const scenario of [IGNORED, USER_DELETE]) {
    const { ours, minimal } = main[scenario.name]!;
    for (const stat of ['median', 'p99'] as const) {
      const input = {
        id: `warm.${scenario.name}.${stat}`,
        section: SECTION,
        label: `${scenario.label}, ${stat} of ${count}`,
        ours: { value: ours[stat] * scenario.scale, unit: scenario.unit },
        baseline: { value: minimal[stat] * scenario.scale, unit: scenario.unit },
        baselineName: 'Passport example logic',
        // The target holds the median; a p99 of a few thousand calls is one GC pause from noise.
        target: stat === 'median' ? ({ kind: 'max-ratio', max: TARGET } as const) : undefined,
      };
      const r = row(input);
      rows.push(r.verdict === 'miss' && scenario === IGNORED ? row({ ...input, note: missNote }) : r);
    }
  }
  rows.push(
    row({
      id: 'warm.ignored.quiet.median',
      section: SECTION,
      label: `ignored event, logs and metrics off (diagnostic), median of ${count}`,
      ours: { value: quiet.ours.median * 1000, unit: 'µs' },
      baseline: { value: quiet.minimal.median * 1000, unit: 'µs' },
      baselineName: 'Passport example logic',
    }),
  );
  const raw = (m: Measured) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, { oursMs: roundSummary(v.ours, 4), minimalMs: roundSummary(v.minimal, 4) }]));
  return { rows, raw: { calls, batch: BATCH, warmup: WARMUP, main: raw(main), quiet: { env: QUIET, ...raw({ ignored: quiet }) } } };
}
