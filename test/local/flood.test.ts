/**
 * Strangers flood the webhook while FusionAuth sends user deletions, one after another as its bulk
 * delete does, each from its own loopback address (127.0.0.2 is FusionAuth, the others strangers).
 * The edge is `npm start`'s emulation of what the construct deploys, from the same defaults
 * (infra/edge-policy.ts); each server is started with only the settings a deployment would change.
 * The test asserts on answers and counts, never on timings: the strangers simply send as fast as
 * they can for as long as FusionAuth is sending.
 */
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDGE_DEFAULTS } from '../../infra/edge-policy.ts';
import { localClient } from '../../local/dynamodb.ts';
import { snapshot } from '../support/dynamo.ts';
import { passportEvent } from '../support/events.ts';
import { type RunningLocalServer, startLocalServer } from '../support/local-server.ts';

const KEY = 'flood-test-key';
const FUSIONAUTH = '127.0.0.2';
const STRANGERS = ['127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'];
/** Connections each stranger keeps busy. */
const STRANGER_CONNECTIONS = 12;
const DELETIONS = 60;

interface Answer {
  readonly status: number;
  /** The edge's (or the function's) error code, `[throttled]`, `[rateLimited]`…; the outcome of a 200. */
  readonly code: string;
}

const agents = new Map<string, Agent>();
const agentFor = (source: string) => {
  let agent = agents.get(source);
  if (!agent) agents.set(source, (agent = new Agent({ keepAlive: true, maxSockets: STRANGER_CONNECTIONS, localAddress: source })));
  return agent;
};

/** One POST from `source`, over a kept-alive connection of its own address. */
function post(url: string, source: string, body: string, authorization: string): Promise<Answer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port: target.port,
        path: target.pathname,
        method: 'POST',
        agent: agentFor(source),
        headers: { authorization, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let code = '';
          try {
            const parsed = JSON.parse(text) as { errors?: { code?: string }[]; status?: string };
            code = parsed.errors?.[0]?.code ?? parsed.status ?? '';
          } catch {
            code = text.slice(0, 40);
          }
          resolve({ status: response.statusCode ?? 0, code });
        });
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const tally = (answers: readonly Answer[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const { status, code } of answers) counts[`${status} ${code}`] = (counts[`${status} ${code}`] ?? 0) + 1;
  return counts;
};

interface Flood {
  /** FusionAuth's deliveries, in order. */
  readonly fusionAuth: Answer[];
  /** Those FusionAuth sent while it waited for `until`. */
  readonly fusionAuthBefore: Answer[];
  /** Each stranger's answers. */
  readonly strangers: Map<string, Answer[]>;
}

/**
 * FusionAuth sends `deletions` user.delete events one after another (each waits for its answer,
 * as in a bulk delete) while the strangers send garbage without credentials from every connection
 * they have, starting first and stopping once FusionAuth is done. With `until`, FusionAuth first
 * keeps sending (`fusionAuthBefore`) until the strangers' answers satisfy it, then sends its
 * `deletions`.
 */
async function flood(
  server: RunningLocalServer,
  { strangers, deletions, prefix, until }: { strangers: readonly string[]; deletions: number; prefix: string; until?: (flood: Flood) => boolean },
): Promise<Flood> {
  const result: Flood = { fusionAuth: [], fusionAuthBefore: [], strangers: new Map(strangers.map((source) => [source, []])) };
  let flooding = true;
  const garbage = JSON.stringify({ event: { type: 'user.delete', id: 'forged', user: { id: 'victim' } } });
  const stranger = async (source: string) => {
    const answers = result.strangers.get(source)!;
    while (flooding) answers.push(await post(server.url, source, garbage, `forged-${answers.length}`));
  };
  const floods = strangers.flatMap((source) => Array.from({ length: STRANGER_CONNECTIONS }, () => stranger(source)));
  // The strangers' first answers came back: the flood is on before FusionAuth starts.
  while (strangers.some((source) => result.strangers.get(source)!.length < STRANGER_CONNECTIONS)) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  let sent = 0;
  const deliver = async () => {
    const body = passportEvent({ type: 'user.delete', id: `${prefix}-delete-${sent}`, user: { id: `${prefix}-user-${sent}` } });
    sent += 1;
    return post(server.url, FUSIONAUTH, body, KEY);
  };
  while (until && !until(result)) result.fusionAuthBefore.push(await deliver());
  for (let i = 0; i < deletions; i++) result.fusionAuth.push(await deliver());
  flooding = false;
  await Promise.all(floods);
  return result;
}

/** The users the ledger holds an erasure request for, of this scenario. */
async function requestedUsers(server: RunningLocalServer, prefix: string): Promise<number> {
  const client = localClient(server.dynamoDbEndpoint);
  try {
    const rows = await snapshot(client, 'Erasures');
    return rows.filter((row) => row.includes(`${prefix}-user-`)).length;
  } finally {
    client.destroy();
  }
}

const servers: Record<'off' | 'allowList' | 'perSource', RunningLocalServer | undefined> = { off: undefined, allowList: undefined, perSource: undefined };
const common = { WEBHOOK_API_KEYS: KEY, POWERTOOLS_LOG_LEVEL: 'ERROR' };

beforeAll(async () => {
  [servers.off, servers.allowList, servers.perSource] = await Promise.all([
    // The defence off: no WAF, any source; only the stage throttle, which API Gateway always has.
    startLocalServer({ ...common, WAF: 'false' }),
    // The defence on as docs/flood-defence.md recommends: FusionAuth's egress address listed.
    startLocalServer({ ...common, ALLOWED_SOURCES: FUSIONAUTH }),
    // The construct's defaults: WAF's per-source rule, any source.
    startLocalServer({ ...common }),
  ]);
});

afterAll(async () => {
  for (const agent of agents.values()) agent.destroy();
  await Promise.all(Object.values(servers).map((server) => server?.stop()));
});

describe('a flood of unauthenticated requests while FusionAuth deletes users', () => {
  it('prints the edge it emulates', () => {
    expect(servers.off!.output()).toMatch(/Edge {11}stage throttle 500 req\/s, burst 1000 \(429 \[throttled\]\)\n {17}AWS WAF: off/);
    expect(servers.allowList!.output()).toContain(`allowed sources ${FUSIONAUTH}/32 (403 [sourceNotAllowed] for any other, by AWS WAF and the resource policy)`);
    expect(servers.perSource!.output()).toContain(
      `AWS WAF: per-source limit ${EDGE_DEFAULTS.perSourceLimit} requests per ${EDGE_DEFAULTS.perSourceWindowSeconds} s (429 [rateLimited])`,
    );
  });

  it('makes FusionAuth\'s deliveries fail with the defence off: the stage throttle answers them 429', async () => {
    const { fusionAuth, strangers } = await flood(servers.off!, { strangers: STRANGERS, deletions: DELETIONS, prefix: 'off' });
    const failed = fusionAuth.filter((answer) => answer.status !== 200);
    console.log('defence off', { fusionAuth: tally(fusionAuth), strangers: tally([...strangers.values()].flat()) });
    // Each failure is a user.delete FusionAuth rolls back: the user stays, the bulk delete fails.
    expect(failed.length).toBeGreaterThan(0);
    expect(new Set(failed.map(({ status, code }) => `${status} ${code}`))).toEqual(new Set(['429 [throttled]']));
    // The strangers got through to the function (401), and took the throttle.
    const strangerAnswers = tally([...strangers.values()].flat());
    expect(strangerAnswers['401 [notAuthorized]']).toBeGreaterThan(0);
    expect(strangerAnswers['429 [throttled]']).toBeGreaterThan(0);
    expect(await requestedUsers(servers.off!, 'off')).toBe(DELETIONS - failed.length);
  });

  it('leaves every delivery of FusionAuth\'s to the function with its egress address allowed', async () => {
    const { fusionAuth, strangers } = await flood(servers.allowList!, { strangers: STRANGERS, deletions: DELETIONS, prefix: 'allowed' });
    console.log('allow-list', { fusionAuth: tally(fusionAuth), strangers: tally([...strangers.values()].flat()) });
    expect(tally(fusionAuth)).toEqual({ '200 accepted': DELETIONS });
    // Every stranger's request was refused by WAF, before the throttle and the function.
    for (const answers of strangers.values()) {
      expect(answers.length).toBeGreaterThan(0);
      expect(tally(answers)).toEqual({ [`403 [sourceNotAllowed]`]: answers.length });
    }
    expect(await requestedUsers(servers.allowList!, 'allowed')).toBe(DELETIONS);
  });

  it('cuts a flooding source off after the per-source limit; from then on FusionAuth\'s deliveries all pass (defaults, no allow-list)', async () => {
    const limit = EDGE_DEFAULTS.perSourceLimit;
    const flooders = STRANGERS.slice(0, 1);
    const cutOff = (answers: readonly Answer[]) => answers.some((answer) => answer.code === '[rateLimited]');
    // The flooder may have taken the throttle's last token just before WAF cut it off. So "from
    // then on" begins once a delivery FusionAuth sent after the cut-off has passed: from there only
    // FusionAuth takes tokens, one per answer it waits for, and the bucket refills 500 a second.
    let sentAfterCutOff: number | undefined;
    const { fusionAuth, fusionAuthBefore, strangers } = await flood(servers.perSource!, {
      strangers: flooders,
      deletions: DELETIONS,
      prefix: 'per-source',
      until: ({ strangers, fusionAuthBefore }) => {
        if (sentAfterCutOff === undefined && [...strangers.values()].every(cutOff)) sentAfterCutOff = fusionAuthBefore.length;
        return sentAfterCutOff !== undefined && fusionAuthBefore.slice(sentAfterCutOff).some((answer) => answer.status === 200);
      },
    });
    console.log('per-source rule', {
      fusionAuthBeforeCutOff: tally(fusionAuthBefore),
      fusionAuthAfter: tally(fusionAuth),
      strangers: tally([...strangers.values()].flat()),
    });
    // Until WAF refused them, the strangers took the throttle: the window a rate-based rule leaves
    // open, `perSourceLimit` requests per source (docs/flood-defence.md). FusionAuth failed in it…
    expect(fusionAuthBefore.filter((answer) => answer.code === '[throttled]').length).toBeGreaterThan(0);
    // …and not once after.
    expect(tally(fusionAuth)).toEqual({ '200 accepted': DELETIONS });
    for (const answers of strangers.values()) {
      // WAF counted every request; the first `limit` went on to the throttle and the function.
      const first = answers.findIndex((answer) => answer.code === '[rateLimited]');
      expect(first).toBeGreaterThanOrEqual(limit - STRANGER_CONNECTIONS);
      expect(answers.filter((answer) => answer.code !== '[rateLimited]').length).toBe(limit);
    }
    const passedBefore = fusionAuthBefore.filter((answer) => answer.status === 200).length;
    expect(await requestedUsers(servers.perSource!, 'per-source')).toBe(DELETIONS + passedBefore);
  });
});
