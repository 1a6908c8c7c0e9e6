import { generalError, type Reply } from './http.ts';

/** Answer the next `times` matching API requests with `status` instead of serving them. */
export interface FaultRule {
  /** A path (it and the paths under it match) or a pattern tested against the path. */
  readonly path: string | RegExp;
  /** Only this method; any when not given. */
  readonly method?: string;
  readonly status: number;
  /** How many requests to fail; 1 when not given. */
  readonly times?: number;
  /** The body to answer; FusionAuth's for the status when not given (see `faultReply`). */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Test controls for an API that misbehaves. Webhook deliveries are not affected. */
export interface Faults {
  /** While true, every API request's connection is dropped without an answer, as by a crashed server. */
  down: boolean;
  /** Adds a rule; rules are taken in the order added. */
  fail(rule: FaultRule): void;
  /** Removes every rule and brings the API back up. */
  clear(): void;
}

export class FaultInjector implements Faults {
  down = false;
  readonly #rules: { rule: FaultRule; left: number }[] = [];

  fail(rule: FaultRule): void {
    this.#rules.push({ rule, left: rule.times ?? 1 });
  }

  clear(): void {
    this.#rules.length = 0;
    this.down = false;
  }

  /** The answer to give instead of serving the request, if a rule takes it. */
  take(method: string, path: string): Reply | undefined {
    const entry = this.#rules.find(({ rule, left }) => left > 0 && matches(rule, method, path));
    if (!entry) return undefined;
    entry.left -= 1;
    if (entry.left === 0) this.#rules.splice(this.#rules.indexOf(entry), 1);
    return faultReply(entry.rule);
  }
}

const matches = (rule: FaultRule, method: string, path: string): boolean =>
  (rule.method === undefined || rule.method.toUpperCase() === method) &&
  (typeof rule.path === 'string' ? path === rule.path || path.startsWith(`${rule.path}/`) : rule.path.test(path));

/**
 * FusionAuth's answer for the status when the rule gives no body: 503 carries a JSON body (the docs say
 * only that it does; the code below is the stand-in's), 500 is empty as documented, and 429, which the
 * API docs do not list at all (it comes from rate limiting in front of FusionAuth), is empty with a
 * Retry-After.
 */
function faultReply({ status, body, headers }: FaultRule): Reply {
  if (body !== undefined) return { status, body, headers: { ...headers } };
  if (status === 503) {
    return { status, body: generalError('[SearchIndexUnavailable]', 'The search index is not available or encountered an exception so the request cannot be completed.'), headers: { ...headers } };
  }
  if (status === 429) return { status, headers: { 'Retry-After': '1', ...headers } };
  return { status, headers: { ...headers } };
}
