/**
 * 1. Cold start: the Lambda asset as CDK builds it, against a bundle that only builds a
 * DynamoDBClient (same esbuild options): its size, the time a fresh Node process takes to import
 * it, and the time from process start to the first answered request.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { lambdaEntry } from '../infra/lambda-bundling.ts';
import type { BenchContext, BenchResult } from './lib/context.ts';
import { bytesByPackage } from './lib/bundles.ts';
import { runProbe } from './lib/child.ts';
import { EMPTY_USER_ID, httpApiEvent, userDeleteBody } from './lib/events.ts';
import { BENCH_API_KEY } from './lib/lambda-env.ts';
import { baseline, outDir, probe } from './lib/paths.ts';
import { type Row, row } from './lib/rows.ts';
import { median, round, roundSummary, summarize } from './lib/stats.ts';

const SECTION = 'Cold start';
/** The target: importing the webhook takes at most 1.3× what the baseline takes. */
const IMPORT_TARGET = 1.3;

interface ImportReport {
  readonly importMs: number;
  readonly sinceProcessStartMs: number;
}

interface FirstRequestReport {
  readonly statusCode: number;
  readonly importMs: number;
  readonly invokeMs: number;
  readonly sinceProcessStartMs: number;
}

const spread = (ratios: readonly number[]) => `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×`;

const sizeOf = (file: string) => ({
  bytes: statSync(file).size,
  gzipBytes: gzipSync(readFileSync(file)).length,
  sourceMapBytes: statSync(`${file}.map`, { throwIfNoEntry: false })?.size ?? 0,
});

/** Runs `runs` pairs, A then B, then B then A, …: whatever drifts during the run hits both. */
async function interleaved<T>(runs: number, a: () => Promise<T>, b: () => Promise<T>): Promise<{ a: T[]; b: T[] }> {
  const results = { a: [] as T[], b: [] as T[] };
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      results.a.push(await a());
      results.b.push(await b());
    } else {
      results.b.push(await b());
      results.a.push(await a());
    }
  }
  return results;
}

/** Packages the webhook's bundle holds beyond the baseline's, largest first. */
async function additions(): Promise<[string, number][]> {
  const [ours, base] = await Promise.all([bytesByPackage(lambdaEntry('index.ts')), bytesByPackage(baseline('dynamodb-only-handler.ts'))]);
  return Object.entries(ours)
    .map(([name, bytes]): [string, number] => [name, bytes - (base[name] ?? 0)])
    .filter(([, extra]) => extra > 1024)
    .sort((x, y) => y[1] - x[1]);
}

export async function coldStart(ctx: BenchContext): Promise<BenchResult> {
  const targets = await ctx.targets();
  const logFile = join(outDir('logs'), 'cold-start.log');
  writeFileSync(logFile, '');
  const env = targets.env;

  const size = { ours: sizeOf(targets.webhook), baseline: sizeOf(targets.dynamoDbOnly) };
  const added = await additions();

  const importRuns = ctx.quick ? 10 : 20;
  ctx.log(`cold start: importing each bundle in ${importRuns} fresh processes, alternating`);
  const importOf = (bundle: string) => async () =>
    (await runProbe<ImportReport>({ args: [probe('import-probe.mjs'), bundle], env, logFile })).messages[0]!;
  const imports = await interleaved(importRuns, importOf(targets.webhook), importOf(targets.dynamoDbOnly));

  // The first request: user.delete of a user with no Todos, so both handlers make one Query.
  const eventFile = join(outDir('events'), 'user-delete-empty-user.json');
  writeFileSync(eventFile, JSON.stringify(httpApiEvent(userDeleteBody(EMPTY_USER_ID), BENCH_API_KEY)));
  const firstRuns = ctx.quick ? 5 : 10;
  ctx.log(`cold start: first answered request, ${firstRuns} fresh processes each, alternating`);
  const firstOf = (bundle: string) => async () => {
    const run = await runProbe<FirstRequestReport>({ args: [probe('first-request-probe.mjs'), bundle, eventFile], env, logFile });
    const report = run.messages[0]!;
    if (report.statusCode !== 200) throw new Error(`${bundle} answered ${report.statusCode} to its first request; see ${logFile}`);
    return { ...report, spawnToAnswerMs: run.firstMessageMs! };
  };
  const first = await interleaved(firstRuns, firstOf(targets.webhook), firstOf(targets.passportMinimal));

  const importMs = { ours: summarize(imports.a.map((r) => r.importMs)), baseline: summarize(imports.b.map((r) => r.importMs)) };
  const firstMs = {
    ours: summarize(first.a.map((r) => r.spawnToAnswerMs)),
    baseline: summarize(first.b.map((r) => r.spawnToAnswerMs)),
  };
  const topAdditions = added
    .slice(0, 5)
    .map(([name, bytes]) => `${name} ${Math.round(bytes / 1024)} KiB`)
    .join(', ');
  // Pairs ran back to back: the median of their ratios cancels the machine's drift between pairs.
  const importRatios = imports.a.map((r, i) => r.importMs / imports.b[i]!.importMs);
  const importRatio = median(importRatios);
  const firstRatio = median(first.a.map((r, i) => r.spawnToAnswerMs / first.b[i]!.spawnToAnswerMs));

  const rows: Row[] = [
    row({
      id: 'cold.bytes',
      section: SECTION,
      label: 'asset code (index.mjs)',
      ours: { value: size.ours.bytes, unit: 'bytes' },
      baseline: { value: size.baseline.bytes, unit: 'bytes' },
      baselineName: 'DynamoDBClient only',
      note: [
        targets.webhookSource === 'cdk synth' ? '' : `ours is not CDK's asset: ${targets.webhookSource}. `,
        targets.optionsMatchCdk === false ? "bench/lib/bundles.ts no longer reproduces CDK's bundle: the baselines are built differently. " : '',
        `largest additions over the baseline: ${topAdditions}. `,
        `Source maps (shipped, read at load with --enable-source-maps): ${Math.round(size.ours.sourceMapBytes / 1024)} KiB vs ${Math.round(size.baseline.sourceMapBytes / 1024)} KiB.`,
      ].join(''),
    }),
    row({
      id: 'cold.gzip',
      section: SECTION,
      label: 'asset code, gzip',
      ours: { value: size.ours.gzipBytes, unit: 'bytes' },
      baseline: { value: size.baseline.gzipBytes, unit: 'bytes' },
      baselineName: 'DynamoDBClient only',
    }),
    row({
      id: 'cold.import',
      section: SECTION,
      label: `import time, median of ${importRuns}`,
      ours: { value: importMs.ours.median, unit: 'ms' },
      baseline: { value: importMs.baseline.median, unit: 'ms' },
      baselineName: 'DynamoDBClient only',
      ratio: importRatio,
      target: { kind: 'max-ratio', max: IMPORT_TARGET },
      note:
        importRatio > IMPORT_TARGET
          ? `V8 parses and compiles the whole bundle at import, used or not, and ours holds ${Math.round((size.ours.bytes - size.baseline.bytes) / 1024)} KiB more: ${topAdditions}. Pair ratios ranged ${spread(importRatios)}. See Performance in the README.`
          : undefined,
    }),
    row({
      id: 'cold.first-request',
      section: SECTION,
      label: `process start → first answer (user.delete, no Todos), median of ${firstRuns}`,
      ours: { value: firstMs.ours.median, unit: 'ms' },
      baseline: { value: firstMs.baseline.median, unit: 'ms' },
      baselineName: 'Passport example logic',
      ratio: firstRatio,
      note: 'a fresh `node` imports the bundle and invokes its handler with an HTTP API event against dynalite; timed by the parent from spawn to the answer.',
    }),
  ];

  return {
    rows,
    raw: {
      webhookSource: targets.webhookSource,
      optionsMatchCdk: targets.optionsMatchCdk,
      size,
      additionsOverBaselineBytes: Object.fromEntries(added),
      importMs: { ours: roundSummary(importMs.ours), baseline: roundSummary(importMs.baseline) },
      firstRequestMs: {
        spawnToAnswer: { ours: roundSummary(firstMs.ours), baseline: roundSummary(firstMs.baseline) },
        importInChild: {
          ours: roundSummary(summarize(first.a.map((r) => r.importMs))),
          baseline: roundSummary(summarize(first.b.map((r) => r.importMs))),
        },
        invokeInChild: {
          ours: roundSummary(summarize(first.a.map((r) => r.invokeMs))),
          baseline: roundSummary(summarize(first.b.map((r) => r.invokeMs))),
        },
      },
      importRatio: round(importRatio),
      importPairRatios: importRatios.map((r) => round(r)),
    },
  };
}
