/**
 * The webhook's cold start, in fresh Node processes as Lambda makes them: import and init of its
 * bundle against a DynamoDB-only bundle built the same way that makes the same DescribeTable at
 * init; what NODE_OPTIONS=--enable-source-maps adds; and process start to the first answer, with
 * an API key and with a signature.
 */
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { type BuildOptions, buildSync, type Metafile } from 'esbuild';
import { buildLambdaAsset, lambdaBuildOptions } from '../infra/lambda-assets.ts';
import { SIGNATURE_HEADER } from '../lambda/auth/signature-algorithms.ts';
import { ensureLedgerTable, ensureTodoTable, localClient, startDynalite } from '../local/dynamodb.ts';
import { httpApiEvent } from '../test/support/events.ts';
import { startFakeSqs } from '../test/support/fake-sqs.ts';
import { hmacKey, sign } from '../test/support/signing.ts';
import { userDeleteBody } from './lib/deliveries.ts';
import { type NodeRun, outPath, runNode } from './lib/processes.ts';
import type { Row } from './lib/rows.ts';
import { median, pairedRatio, percentile } from './lib/stats.ts';
import type { BenchContext } from './run.ts';

const API_KEY = 'bench-api-key-0123456789abcdef';
const SIGNING_KEY = 'bench-signing-key-0123456789abcdef';
const PROBE = new URL('./probes/init-probe.mjs', import.meta.url).pathname;

const codeBytes = (metafile: Metafile) =>
  Object.entries(metafile.outputs).reduce((sum, [file, output]) => sum + (file.endsWith('.map') ? 0 : output.bytes), 0);

/** The webhook as the construct deploys it, or with `changes` to its esbuild settings. */
function bundle(name: string, changes?: BuildOptions): { entry: string; bytes: number } {
  const outdir = outPath('bundles', name);
  rmSync(outdir, { recursive: true, force: true });
  const metafile = changes ? buildSync({ ...(lambdaBuildOptions('webhook', outdir) as BuildOptions), ...changes }).metafile! : buildLambdaAsset('webhook', outdir);
  return { entry: `${outdir}/index.mjs`, bytes: codeBytes(metafile as Metafile) };
}

/** A fresh user.delete for a fresh user, as API Gateway hands it over, with an API key or FusionAuth's signature. */
async function userDeleteEvent(auth: 'api-key' | 'signature'): Promise<string> {
  const raw = userDeleteBody(randomUUID());
  const headers: Record<string, string> =
    auth === 'api-key' ? { authorization: API_KEY } : { [SIGNATURE_HEADER]: await sign(raw, hmacKey(SIGNING_KEY), { alg: 'HS256', kid: 'bench' }) };
  const file = outPath('events', `user-delete-${auth}.json`);
  writeFileSync(file, JSON.stringify(httpApiEvent({ body: raw, headers })));
  return file;
}

/** `rounds` rounds of every variant, each round in another order, so that drift and order land on all alike. */
async function rounds<K extends string, T>(count: number, variants: Record<K, () => Promise<T>>): Promise<Record<K, T[]>> {
  const names = Object.keys(variants) as K[];
  const samples = Object.fromEntries(names.map((name) => [name, [] as T[]])) as Record<K, T[]>;
  for (let round = 0; round < count; round++) {
    for (let n = 0; n < names.length; n++) {
      const name = names[(n + round) % names.length]!;
      samples[name].push(await variants[name]());
    }
  }
  return samples;
}

export async function init({ quick, log }: BenchContext): Promise<Row[]> {
  log('init: bundling the webhook as the construct deploys it, without source maps, and the DynamoDB-only baseline');
  const ours = bundle('webhook');
  const noMaps = bundle('webhook-no-maps', { sourcemap: false });
  const baseline = bundle('dynamodb-only', { entryPoints: { index: new URL('./baselines/dynamodb-only.ts', import.meta.url).pathname } });

  const dynamoDb = await startDynalite(0, undefined, '127.0.0.1');
  const sqs = await startFakeSqs();
  const admin = localClient(dynamoDb.endpoint);
  await ensureTodoTable(admin, { tableName: 'Todos', userIdAttribute: 'userId', sortKeyAttribute: 'todoId' });
  await ensureLedgerTable(admin, 'Erasures');
  // What the construct declares by default, with local stand-ins for the table names, queue and secret.
  const env: Record<string, string> = {
    AWS_REGION: process.env.AWS_REGION!,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID!,
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY!,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoDb.endpoint,
    TODO_TABLE_NAME: 'Todos',
    ERASURE_LEDGER_TABLE_NAME: 'Erasures',
    DELETION_QUEUE_URL: sqs.queueUrl,
    WEBHOOK_API_KEYS: API_KEY,
    POWERTOOLS_SERVICE_NAME: 'passport-webhook',
    POWERTOOLS_METRICS_NAMESPACE: 'PassportWebhook',
    POWERTOOLS_LOG_LEVEL: 'INFO',
  };
  const signatureEnv = { ...env, WEBHOOK_AUTH: 'signature', WEBHOOK_SIGNING_KEYS: SIGNING_KEY };
  const logFile = outPath('logs', 'init.log');
  writeFileSync(logFile, '');
  const probe = (entry: string, environment: Record<string, string>, event?: string) =>
    runNode<{ importMs: number; importCpuMs: number; statusCode?: number }>([PROBE, entry, ...(event ? [event] : [])], environment, logFile);
  const answered = async (run: Promise<NodeRun<{ statusCode?: number }>>) => {
    const { report, ms } = await run;
    if (report.statusCode !== 200) throw new Error(`a first delivery was answered ${report.statusCode}; see ${logFile}`);
    return ms;
  };

  try {
    const initRounds = quick ? 6 : 40;
    log(`init: import + init of 4 bundles, ${initRounds} rounds of fresh processes`);
    const measured = await rounds(initRounds, {
      ours: async () => (await probe(ours.entry, env)).report,
      baseline: async () => (await probe(baseline.entry, env)).report,
      sourceMaps: async () => (await probe(ours.entry, { ...env, NODE_OPTIONS: '--enable-source-maps' })).report,
      noMaps: async () => (await probe(noMaps.entry, env)).report,
    });
    const of = (field: 'importMs' | 'importCpuMs') =>
      Object.fromEntries(Object.entries(measured).map(([name, reports]) => [name, reports.map((report) => report[field])])) as Record<keyof typeof measured, number[]>;
    const [imports, cpu] = [of('importMs'), of('importCpuMs')];
    const answerRounds = quick ? 4 : 15;
    log(`init: process start to the first answer, ${answerRounds} rounds`);
    const first = await rounds(answerRounds, {
      apiKey: async () => answered(probe(ours.entry, env, await userDeleteEvent('api-key'))),
      signature: async () => answered(probe(ours.entry, signatureEnv, await userDeleteEvent('signature'))),
      baseline: async () => answered(probe(baseline.entry, env, await userDeleteEvent('api-key'))),
    });

    const kib = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;
    const importRatio = pairedRatio(imports.ours, imports.baseline);
    const pairs = imports.ours.map((ms, n) => ms / imports.baseline[n]!);
    return [
      {
        name: `Init: import + init of the webhook bundle (median of ${initRounds} fresh processes)`,
        value: median(imports.ours),
        unit: 'ms',
        baseline: median(imports.baseline),
        baselineName: 'DynamoDB-only bundle, same DescribeTable',
        ratio: importRatio,
        target: 1.1,
        note:
          `both bundles built with the construct's esbuild settings and make the same DescribeTable at init, against a local DynamoDB; ` +
          `code ${kib(ours.bytes)} vs ${kib(baseline.bytes)} in all chunks, of which a delivery loads only what it uses. ` +
          `Ratio: median of per-round ratios (middle half ${percentile(pairs, 25).toFixed(2)}–${percentile(pairs, 75).toFixed(2)}×); ` +
          `in CPU time ${median(cpu.ours).toFixed(0)} vs ${median(cpu.baseline).toFixed(0)} ms, ${pairedRatio(cpu.ours, cpu.baseline).toFixed(2)}×.` +
          (importRatio > 1.1 ? ' What ours adds is evaluated at init: its configuration, the Powertools logger and metrics, the target catalogue.' : ''),
      },
      {
        name: 'Init: NODE_OPTIONS=--enable-source-maps',
        value: median(imports.sourceMaps),
        unit: 'ms',
        baseline: median(imports.noMaps),
        baselineName: 'bundle built without maps',
        ratio: pairedRatio(imports.sourceMaps, imports.noMaps),
        note:
          `in CPU time ${pairedRatio(cpu.sourceMaps, cpu.noMaps).toFixed(2)}×. With the maps shipped but the flag off (the construct's default) ` +
          `import + init is ${pairedRatio(imports.ours, imports.noMaps).toFixed(2)}× the bundle without maps (CPU ${pairedRatio(cpu.ours, cpu.noMaps).toFixed(2)}×).`,
      },
      {
        name: 'First answer, API key: process start to user.delete answered',
        value: median(first.apiKey),
        unit: 'ms',
        baseline: median(first.baseline),
        baselineName: "DynamoDB-only bundle's first answer",
        ratio: pairedRatio(first.apiKey, first.baseline),
        note:
          `timed by the parent from spawn() to the answer (median of ${answerRounds}); the webhook records the request in the ledger and queues its confirmation (a local SQS), the baseline answers at once. ` +
          'The key comes from the environment; deployed it comes from Secrets Manager, one more request on the first delivery.',
      },
      {
        name: 'First answer, signature: HS256 JWT over the body verified',
        value: median(first.signature),
        unit: 'ms',
        baseline: median(first.apiKey),
        baselineName: 'API key',
        ratio: pairedRatio(first.signature, first.apiKey),
        note: 'WEBHOOK_AUTH=signature with WEBHOOK_SIGNING_KEYS: the signature code (jose) is loaded with the first signed delivery.',
      },
    ];
  } finally {
    admin.destroy();
    await Promise.all([sqs.close(), dynamoDb.close()]);
  }
}
