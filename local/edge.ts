/**
 * The deployed edge, emulated in front of `npm start`'s function: what AWS WAF, API Gateway's
 * route, stage throttle and resource policy answer instead of the function, from the same policy
 * (infra/edge-policy.ts) the construct deploys, in the order AWS evaluates them:
 *
 * 1. AWS WAF, which "is evaluated before other access control features" of API Gateway: the
 *    allow-list rule, then the per-source rate-based rule. A request WAF blocks takes no token of
 *    the stage throttle (see docs/flood-defence.md for what AWS does and does not document here).
 * 2. The route: only `POST /passport-webhook` exists.
 * 3. The stage throttle, a token bucket of `burstLimit` tokens refilled at `rateLimit` a second.
 * 4. The resource policy, after the throttle: AWS does not document which of the two comes first,
 *    so the emulation assumes the one that protects less.
 *
 * Two differences are deliberate and documented: WAF's per-source count here is exact and takes
 * effect at once, where WAF estimates it and may lag by seconds (usually under 30); and the
 * counts start afresh with each `npm start`.
 */
import { isIPv4 } from 'node:net';
import {
  allowsAnySource,
  EDGE_ANSWERS,
  type EdgeAnswer,
  type EdgePolicy,
  type EdgeSettings,
  ipv4ToBigInt,
  ipv6ToBigInt,
  resolveEdgePolicy,
} from '../infra/edge-policy.ts';

export interface EdgeRequest {
  readonly method: string;
  /** The source address as API Gateway sees it (IPv4 plain, not IPv4-mapped). */
  readonly sourceIp: string;
}

/** The answers given, by kind, and the requests let through to the function. */
export type EdgeCounts = Record<keyof typeof EDGE_ANSWERS | 'passed', number>;

export class LocalEdge {
  readonly #bucket: TokenBucket;
  readonly #perSource: PerSourceCounter | undefined;
  readonly #allowed: CidrMatcher | undefined;
  readonly counts: EdgeCounts = { throttled: 0, rateLimited: 0, sourceNotAllowed: 0, policyDenied: 0, noRoute: 0, passed: 0 };

  constructor(
    readonly policy: EdgePolicy,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#bucket = new TokenBucket(policy.rateLimit, policy.burstLimit, now());
    this.#perSource = policy.waf ? new PerSourceCounter(policy.perSourceLimit, policy.perSourceWindowSeconds * 1000) : undefined;
    this.#allowed = allowsAnySource(policy) ? undefined : new CidrMatcher([...policy.allowedSources.ipv4, ...policy.allowedSources.ipv6]);
  }

  /** The edge's answer to a request for the webhook path, or undefined when the function is to answer it. */
  answer(request: EdgeRequest): EdgeAnswer | undefined {
    const name = this.#decide(request);
    this.counts[name] += 1;
    return name === 'passed' ? undefined : EDGE_ANSWERS[name];
  }

  #decide({ method, sourceIp }: EdgeRequest): keyof EdgeCounts {
    const now = this.now();
    if (this.policy.waf) {
      if (this.#allowed && !this.#allowed.matches(sourceIp)) return 'sourceNotAllowed';
      if (this.#perSource!.overLimit(sourceIp, now)) return 'rateLimited';
    }
    if (method !== 'POST') return 'noRoute';
    if (!this.#bucket.take(now)) return 'throttled';
    if (this.#allowed && !this.#allowed.matches(sourceIp)) return 'policyDenied';
    return 'passed';
  }
}

/** API Gateway's token bucket: starts full, one token a request, refilled continuously. */
class TokenBucket {
  #tokens: number;
  #at: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.#tokens = burst;
    this.#at = now;
  }

  take(now: number): boolean {
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#at) / 1000) * this.ratePerSecond);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/**
 * WAF's rate-based rule aggregated by source address: every request the rule sees counts,
 * refused or not, and a source is refused while it sent more than `limit` in the trailing window.
 */
class PerSourceCounter {
  readonly #seen = new Map<string, { times: number[]; head: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  overLimit(source: string, now: number): boolean {
    let entry = this.#seen.get(source);
    if (!entry) this.#seen.set(source, (entry = { times: [], head: 0 }));
    entry.times.push(now);
    while (entry.head < entry.times.length && entry.times[entry.head]! <= now - this.windowMs) entry.head++;
    // Drop what fell out of the window now and then, rather than on every request.
    if (entry.head > 4096 && entry.head * 2 > entry.times.length) {
      entry.times = entry.times.slice(entry.head);
      entry.head = 0;
    }
    return entry.times.length - entry.head > this.limit;
  }
}

/** Whether an address is in one of the CIDR ranges (canonical, as resolveEdgePolicy writes them). */
class CidrMatcher {
  readonly #ranges: { v4: boolean; network: bigint; hostBits: bigint }[];

  constructor(cidrs: readonly string[]) {
    this.#ranges = cidrs.map((cidr) => {
      const [address = '', prefix = ''] = cidr.split('/');
      const v4 = isIPv4(address);
      return { v4, network: v4 ? ipv4ToBigInt(address) : ipv6ToBigInt(address), hostBits: BigInt((v4 ? 32 : 128) - Number(prefix)) };
    });
  }

  matches(address: string): boolean {
    const v4 = isIPv4(address);
    const value = v4 ? ipv4ToBigInt(address) : ipv6ToBigInt(address);
    return this.#ranges.some((range) => range.v4 === v4 && value >> range.hostBits === range.network >> range.hostBits);
  }
}

/**
 * The policy `npm start` emulates: the construct's defaults, changed by the variables named after
 * the CDK context keys (WAF, ALLOWED_SOURCES, PER_SOURCE_LIMIT, PER_SOURCE_WINDOW_SECONDS,
 * THROTTLE_RATE_LIMIT, THROTTLE_BURST_LIMIT); undefined with LOCAL_EDGE=off, which hands every
 * request to the function (a load test of the function alone).
 */
export function edgePolicyFromEnvironment(env: NodeJS.ProcessEnv): EdgePolicy | undefined {
  const local = env.LOCAL_EDGE?.trim().toLowerCase();
  if (local === 'off' || local === 'false') return undefined;
  if (local && local !== 'on' && local !== 'true') throw new Error(`LOCAL_EDGE must be on or off, got "${env.LOCAL_EDGE}".`);
  const number = (name: string): number | undefined => {
    const text = env[name]?.trim();
    if (!text) return undefined;
    const value = Number(text);
    if (!Number.isFinite(value)) throw new Error(`${name} must be a number, got "${text}".`);
    return value;
  };
  const wafText = env.WAF?.trim().toLowerCase();
  if (wafText && wafText !== 'true' && wafText !== 'false') throw new Error(`WAF must be true or false, got "${env.WAF}".`);
  const settings: EdgeSettings = {
    waf: wafText ? wafText === 'true' : undefined,
    allowedSources: env.ALLOWED_SOURCES?.split(',').map((entry) => entry.trim()).filter(Boolean),
    perSourceLimit: number('PER_SOURCE_LIMIT'),
    perSourceWindowSeconds: number('PER_SOURCE_WINDOW_SECONDS'),
    rateLimit: number('THROTTLE_RATE_LIMIT'),
    burstLimit: number('THROTTLE_BURST_LIMIT'),
  };
  return resolveEdgePolicy(settings, 'the local edge');
}
