/**
 * The edge in front of the webhook function: API Gateway's stage throttle, the AWS WAF rules and
 * the REST API's resource policy, with their defaults and the answers each gives instead of the
 * function. The construct (infra/webhook-api.ts) deploys this policy and `npm start`
 * (local/edge.ts) emulates it, both from this module, so a local flood test exercises the policy
 * that is deployed. Import-free of aws-cdk-lib on purpose: the local server loads it.
 *
 * docs/flood-defence.md explains the design, the sizing below and what each answer means in
 * FusionAuth's webhook event log.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { WEBHOOK_PATH } from './names.ts';

/** The REST API's stage, part of the webhook URL: `https://<api>.execute-api.<region>.amazonaws.com/prod/passport-webhook`. */
export const WEBHOOK_STAGE = 'prod';

/** FusionAuth's bulk delete: up to 10,000 users a call, one `user.delete` each, one after another. */
export const BULK_DELETE_USERS = 10_000;
/**
 * The most deliveries a second one FusionAuth source sends one after another: each waits for the
 * answer, and a round trip (TLS connection reused, API Gateway, WAF, a warm function writing one
 * ledger record) takes 10 ms at the very least. Real bulk deletes run slower (FusionAuth deletes
 * the user between deliveries), which only leaves more room.
 */
export const FUSIONAUTH_PEAK_RATE = 100;
/** AWS WAF estimates a source's rate, near the limit but not exactly at it: headroom over the bulk. */
export const WAF_ESTIMATE_HEADROOM = 1.5;
/** How many sources, each at its per-source limit, the stage can carry beside FusionAuth at its peak. */
export const SOURCES_AT_LIMIT_ABSORBED = 16;

/** WAF's evaluation windows for rate-based rules, in seconds. */
export const EVALUATION_WINDOWS = [60, 120, 300, 600] as const;
export type EvaluationWindowSeconds = (typeof EVALUATION_WINDOWS)[number];
/** WAF's bounds on a rate-based rule's limit. */
export const MIN_PER_SOURCE_LIMIT = 10;
export const MAX_PER_SOURCE_LIMIT = 2_000_000_000;
/** API Gateway's default account limits per Region, which a stage's limits cannot exceed. */
export const MAX_RATE_LIMIT = 10_000;
export const MAX_BURST_LIMIT = 5_000;
/** WAF's limit on the addresses of one IP set (one set per address family). */
export const MAX_ALLOWED_SOURCES = 10_000;

const perSourceWindowSeconds: EvaluationWindowSeconds = 600;
const perSourceLimit = BULK_DELETE_USERS * WAF_ESTIMATE_HEADROOM;

/**
 * The defaults, sized for a bulk delete of 10,000 users from one FusionAuth source:
 * - the per-source limit lets that whole bulk delete (with WAF's headroom) through one window,
 *   the longest WAF has, so a source that is not FusionAuth gets at most 25 requests a second
 *   through, on average;
 * - the stage rate carries FusionAuth at its peak plus 16 such sources at their limit
 *   (100 + 16 × 15,000 / 600 = 500), and the burst two seconds of it.
 */
export const EDGE_DEFAULTS = {
  waf: true,
  perSourceLimit,
  perSourceWindowSeconds,
  rateLimit: FUSIONAUTH_PEAK_RATE + SOURCES_AT_LIMIT_ABSORBED * (perSourceLimit / perSourceWindowSeconds),
  burstLimit: 2 * (FUSIONAUTH_PEAK_RATE + SOURCES_AT_LIMIT_ABSORBED * (perSourceLimit / perSourceWindowSeconds)),
} as const;

/** What the edge may be told; every setting optional, each default in EDGE_DEFAULTS. */
export interface EdgeSettings {
  /** Put an AWS WAF web ACL in front of the stage: the per-source rule, and the allow-list rule. */
  readonly waf?: boolean;
  /** FusionAuth's egress addresses (or CIDR ranges): every other source is refused at the edge. */
  readonly allowedSources?: readonly string[];
  /** Requests one source may send in a window before WAF refuses it with 429. */
  readonly perSourceLimit?: number;
  /** The window WAF counts each source's requests over, in seconds. */
  readonly perSourceWindowSeconds?: number;
  /** The stage's steady rate, requests per second, before API Gateway answers 429. */
  readonly rateLimit?: number;
  /** The stage's burst, requests at once above the rate. */
  readonly burstLimit?: number;
}

/** The edge as deployed and emulated: every setting resolved and checked. */
export interface EdgePolicy {
  readonly waf: boolean;
  /** Canonical CIDRs, by address family; both empty when any source may call. */
  readonly allowedSources: { readonly ipv4: readonly string[]; readonly ipv6: readonly string[] };
  readonly perSourceLimit: number;
  readonly perSourceWindowSeconds: EvaluationWindowSeconds;
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/** Each answer the edge gives instead of the function: how API Gateway or AWS WAF is configured to answer. */
export interface EdgeAnswer {
  readonly statusCode: number;
  /** Passport's error shape, as the function answers its own errors. */
  readonly code: string;
  readonly message: string;
}

export const EDGE_ANSWERS = {
  /** API Gateway's THROTTLED gateway response: the stage's token bucket is empty. */
  throttled: {
    statusCode: 429,
    code: '[throttled]',
    message: "API Gateway's stage throttle refused the request: the stage got more requests than its rate and burst limits.",
  },
  /** AWS WAF's per-source rule: this source sent more than its limit in the window. */
  rateLimited: {
    statusCode: 429,
    code: '[rateLimited]',
    message: 'AWS WAF refused the request: its source address sent more requests than the per-source limit in the evaluation window.',
  },
  /** AWS WAF's allow-list rule: the source is not one of the allowed sources. */
  sourceNotAllowed: {
    statusCode: 403,
    code: '[sourceNotAllowed]',
    message: 'AWS WAF refused the request: its source address is not one of the allowed sources.',
  },
  /** API Gateway's ACCESS_DENIED gateway response: the resource policy allows only the allowed sources. */
  policyDenied: {
    statusCode: 403,
    code: '[sourceNotAllowed]',
    message: "The API's resource policy refused the request: its source address is not one of the allowed sources.",
  },
  /** API Gateway's MISSING_AUTHENTICATION_TOKEN gateway response: no such method or resource. */
  noRoute: {
    statusCode: 404,
    code: '[noRoute]',
    message: `No such route: the webhook takes POST ${WEBHOOK_PATH}.`,
  },
} as const satisfies Record<string, EdgeAnswer>;

export type EdgeAnswerName = keyof typeof EDGE_ANSWERS;

/** The body of an edge answer; static JSON, with no `$` or `#` for API Gateway's template engine to read. */
export const edgeAnswerBody = (answer: EdgeAnswer): string =>
  JSON.stringify({ errors: [{ code: answer.code, message: answer.message }] });

/**
 * The settings resolved against the defaults, or an error naming the setting (`${where}.name`)
 * that cannot work. The construct and the local server both resolve through here.
 */
export function resolveEdgePolicy(settings: EdgeSettings = {}, where = 'api'): EdgePolicy {
  const waf = settings.waf ?? EDGE_DEFAULTS.waf;
  if (!waf && settings.perSourceLimit !== undefined) {
    throw new Error(`${where}.perSourceLimit is an AWS WAF rule: it cannot be set with ${where}.waf false.`);
  }
  if (!waf && settings.perSourceWindowSeconds !== undefined) {
    throw new Error(`${where}.perSourceWindow is an AWS WAF rule's window: it cannot be set with ${where}.waf false.`);
  }
  const perSourceLimit = settings.perSourceLimit ?? EDGE_DEFAULTS.perSourceLimit;
  if (!Number.isSafeInteger(perSourceLimit) || perSourceLimit < MIN_PER_SOURCE_LIMIT || perSourceLimit > MAX_PER_SOURCE_LIMIT) {
    throw new Error(
      `${where}.perSourceLimit must be a whole number from ${MIN_PER_SOURCE_LIMIT} to ${MAX_PER_SOURCE_LIMIT} (AWS WAF's bounds), got ${perSourceLimit}.`,
    );
  }
  const window = settings.perSourceWindowSeconds ?? EDGE_DEFAULTS.perSourceWindowSeconds;
  if (!(EVALUATION_WINDOWS as readonly number[]).includes(window)) {
    throw new Error(`${where}.perSourceWindow must be one of AWS WAF's windows, ${EVALUATION_WINDOWS.join(', ')} seconds; got ${window} seconds.`);
  }
  const rateLimit = settings.rateLimit ?? EDGE_DEFAULTS.rateLimit;
  if (!Number.isFinite(rateLimit) || rateLimit <= 0 || rateLimit > MAX_RATE_LIMIT) {
    throw new Error(`${where}.rateLimit must be above 0 and at most ${MAX_RATE_LIMIT} requests per second (API Gateway's account limit), got ${rateLimit}.`);
  }
  const burstLimit = settings.burstLimit ?? EDGE_DEFAULTS.burstLimit;
  if (!Number.isSafeInteger(burstLimit) || burstLimit < 1 || burstLimit > MAX_BURST_LIMIT) {
    throw new Error(`${where}.burstLimit must be a whole number from 1 to ${MAX_BURST_LIMIT} (API Gateway's account limit), got ${burstLimit}.`);
  }
  return {
    waf,
    allowedSources: resolveAllowedSources(settings.allowedSources ?? [], where),
    perSourceLimit,
    perSourceWindowSeconds: window as EvaluationWindowSeconds,
    rateLimit,
    burstLimit,
  };
}

/** Whether any source may call: no allow-list. */
export const allowsAnySource = (policy: EdgePolicy): boolean =>
  policy.allowedSources.ipv4.length === 0 && policy.allowedSources.ipv6.length === 0;

/**
 * Each entry an address or a CIDR range of either family, as WAF's IP sets and IAM's
 * `aws:SourceIp` take them: a bare address becomes a /32 (or /128); a range must be written from
 * its first address (WAF refuses `192.0.2.7/24`) and cannot be /0.
 */
function resolveAllowedSources(entries: readonly string[], where: string): EdgePolicy['allowedSources'] {
  const ipv4 = new Set<string>();
  const ipv6 = new Set<string>();
  for (const raw of entries) {
    const entry = raw.trim();
    const [address = '', prefixText, ...rest] = entry.split('/');
    const family = isIPv4(address) ? 4 : isIPv6(address) ? 6 : undefined;
    const bits = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? bits : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
    if (family === undefined || rest.length > 0 || !(prefix >= 1 && prefix <= bits)) {
      throw new Error(
        `${where}.allowedSources: "${raw}" is not an IPv4 or IPv6 address or CIDR range (e.g. 203.0.113.10, 203.0.113.0/24, 2001:db8::/32; /0 is refused).`,
      );
    }
    const value = family === 4 ? ipv4ToBigInt(address) : ipv6ToBigInt(address);
    const hostBits = BigInt(bits - prefix);
    const network = (value >> hostBits) << hostBits;
    if (network !== value) {
      const first = family === 4 ? bigIntToIpv4(network) : bigIntToIpv6(network);
      throw new Error(`${where}.allowedSources: "${raw}" is not written from the range's first address; write ${first}/${prefix}.`);
    }
    const canonical = `${family === 4 ? bigIntToIpv4(value) : bigIntToIpv6(value)}/${prefix}`;
    (family === 4 ? ipv4 : ipv6).add(canonical);
  }
  for (const [family, set] of [['IPv4', ipv4], ['IPv6', ipv6]] as const) {
    if (set.size > MAX_ALLOWED_SOURCES) {
      throw new Error(`${where}.allowedSources: ${set.size} ${family} entries, more than the ${MAX_ALLOWED_SOURCES} an AWS WAF IP set holds.`);
    }
  }
  return { ipv4: [...ipv4], ipv6: [...ipv6] };
}

export function ipv4ToBigInt(address: string): bigint {
  return address.split('.').reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
}

function bigIntToIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** An IPv6 address (`::` shorthand and an embedded IPv4 tail allowed) as a 128-bit number. */
export function ipv6ToBigInt(address: string): bigint {
  let text = address.toLowerCase();
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (tail) {
    const v4 = ipv4ToBigInt(tail);
    text = `${text.slice(0, -tail.length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups = rest === undefined ? headGroups : [...headGroups, ...Array(8 - headGroups.length - restGroups.length).fill('0'), ...restGroups];
  return groups.reduce((value, group) => (value << 16n) | BigInt(parseInt(group, 16)), 0n);
}

/** The shortest form (RFC 5952): lower case, the longest run of zero groups as `::`. */
function bigIntToIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt((7 - i) * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; ) {
    if (groups[start] !== 0) {
      start++;
      continue;
    }
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > bestLength) [bestStart, bestLength] = [start, end - start];
    start = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** A one-line description of the policy, for the local banner and for messages. */
export function describeEdgePolicy(policy: EdgePolicy): string[] {
  const sources = [...policy.allowedSources.ipv4, ...policy.allowedSources.ipv6];
  const throttle = `stage throttle ${policy.rateLimit} req/s, burst ${policy.burstLimit} (429 [throttled])`;
  const waf = policy.waf
    ? `AWS WAF: per-source limit ${policy.perSourceLimit} requests per ${policy.perSourceWindowSeconds} s (429 [rateLimited])`
    : 'AWS WAF: off';
  const allowList = sources.length
    ? `allowed sources ${sources.join(', ')} (403 [sourceNotAllowed] for any other, by ${policy.waf ? 'AWS WAF and ' : ''}the resource policy)`
    : 'allowed sources: any (no allow-list)';
  return [throttle, waf, allowList];
}
