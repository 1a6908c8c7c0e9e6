/**
 * 4. Local server throughput: ignored events per second that `npm start` answers, against the
 * original Passport Express example (completed: bench/baselines/passport-express-webhook.ts),
 * both on this machine, same event, connections and duration, in alternating autocannon runs.
 * `npm start` runs as a person runs it, logging one line per delivery (INFO) into a file; the
 * example logs nothing. Both talk to the same dynalite (which ignored events never reach).
 */
import { join } from 'node:path';
import autocannon from 'autocannon';
import type { BenchContext, BenchResult } from './lib/context.ts';
import { ignoredBody } from './lib/events.ts';
import { BENCH_API_KEY } from './lib/lambda-env.ts';
import { LOCAL_AWS } from './lib/local-dynamodb.ts';
import { baseline, outDir } from './lib/paths.ts';
import { row } from './lib/rows.ts';
import { type ServerProcess, startServer } from './lib/server-process.ts';
import { median, round } from './lib/stats.ts';

const SECTION = 'Local server';
const CONNECTIONS = 10;

interface Round {
  readonly server: 'ours' | 'baseline';
  readonly requestsPerSecond: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly requests: number;
}

async function load(server: ServerProcess, seconds: number): Promise<Omit<Round, 'server'>> {
  const result = await autocannon({
    url: server.url,
    method: 'POST',
    headers: { authorization: BENCH_API_KEY, 'content-type': 'application/json' },
    body: ignoredBody(),
    connections: CONNECTIONS,
    duration: seconds,
  });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(`${server.url}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return {
    requestsPerSecond: result.requests.total / result.duration,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    requests: result.requests.total,
  };
}

export async function throughput(ctx: BenchContext): Promise<BenchResult> {
  const logs = outDir('logs');
  const env = {
    ...process.env,
    ...LOCAL_AWS,
    AWS_ENDPOINT_URL_DYNAMODB: ctx.dynamoDb.endpoint,
    WEBHOOK_API_KEYS: BENCH_API_KEY,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    HOST: '127.0.0.1',
    PORT: '0',
  };
  const ours = await startServer('npm', ['start', '--silent'], { ...env, POWERTOOLS_LOG_LEVEL: 'INFO' }, join(logs, 'npm-start.log'), /Webhook URL\s+(\S+)/);
  const theirs = await startServer(
    process.execPath,
    ['--import', 'tsx', baseline('passport-express-webhook.ts')],
    env,
    join(logs, 'passport-express-webhook.log'),
    /listening on (\S+)/,
  );
  // npm start prints localhost; both are measured over the same IPv4 loopback.
  const servers = { ours: { ...ours, url: ours.url.replace('//localhost:', '//127.0.0.1:') }, baseline: theirs };
  const rounds: Round[] = [];
  // Short rounds, many of them: on a shared machine the load changes by the second.
  const seconds = ctx.quick ? 2 : 3;
  const count = ctx.quick ? 2 : 6;
  try {
    ctx.log(`throughput: ${count} rounds of ${seconds} s per server, alternating, ${CONNECTIONS} connections`);
    // JIT and connection pools warm before anything counts.
    for (const server of [servers.ours, servers.baseline]) await load(server, 1);
    for (let i = 0; i < count; i++) {
      const order = i % 2 === 0 ? (['ours', 'baseline'] as const) : (['baseline', 'ours'] as const);
      for (const name of order) rounds.push({ server: name, ...(await load(servers[name], seconds)) });
    }
  } finally {
    await Promise.all([ours.stop(), theirs.stop()]);
  }
  const rates = (name: Round['server']) => rounds.filter((r) => r.server === name).map((r) => r.requestsPerSecond);
  // Round i of each server ran back to back: the median of their ratios cancels the drift between rounds.
  const paired = median(rates('ours').map((ours, i) => ours / rates('baseline')[i]!));
  return {
    rows: [
      row({
        id: 'throughput.ignored',
        section: SECTION,
        label: `ignored events, median of ${count} × ${seconds} s`,
        ours: { value: median(rates('ours')), unit: 'req/s' },
        baseline: { value: median(rates('baseline')), unit: 'req/s' },
        ratio: paired,
        baselineName: 'Passport Express example',
        note: 'higher is better: ratio under 1 means npm start answers fewer per second. npm start logs one line per delivery into a file; the example logs nothing.',
      }),
    ],
    raw: {
      connections: CONNECTIONS,
      seconds,
      rounds: rounds.map((r) => ({ ...r, requestsPerSecond: round(r.requestsPerSecond, 1) })),
    },
  };
}
