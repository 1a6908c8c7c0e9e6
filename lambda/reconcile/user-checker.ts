import { setTimeout as wait } from 'node:timers/promises';
import type { FoundUser, UserDirectory, UserSearchDirectory } from '../erasure/fusionauth-users.ts';
import { fullJitterDelay, type RetryPolicy } from '../targets/backoff.ts';
import { chunks } from './bounded-set.ts';
import { idKey } from './fusionauth-ids.ts';
import type { RateLimiter } from './rate-limiter.ts';

/** How FusionAuth is asked: one search by up to `batchSize` ids, or one GET per user. */
export type LookupMethod = 'search' | 'get';
export const LOOKUP_METHODS: readonly LookupMethod[] = ['search', 'get'];

/** What FusionAuth said of a batch of ids: each is present (with its registrations) or absent; ids as given. */
export interface CheckResult {
  readonly present: readonly FoundUser[];
  readonly absent: readonly string[];
}

/** Asks FusionAuth which of `ids` (FusionAuth ids, one tenant) it still has. */
export interface UserChecker {
  readonly method: LookupMethod;
  /** Ids per request (search) or per call (get). */
  readonly batchSize: number;
  check(ids: readonly string[], tenantId: string | undefined, signal?: AbortSignal): Promise<CheckResult>;
}

/** The endpoint and method each lookup needs the key to be allowed. */
export const ENDPOINT_OF: Readonly<Record<LookupMethod, { readonly method: string; readonly endpoint: string }>> = {
  search: { method: 'POST', endpoint: '/api/user/search' },
  get: { method: 'GET', endpoint: '/api/user' },
};

/** 401 or 403: no retry mends it, and nothing may be read as absent after it. */
export class FusionAuthRefusedError extends Error {
  override name = 'FusionAuthRefusedError';

  constructor(
    readonly status: number,
    readonly lookup: LookupMethod,
    readonly tenantId: string | undefined,
  ) {
    const { method, endpoint } = ENDPOINT_OF[lookup];
    super(
      `FusionAuth refused the API key (HTTP ${status}) for ${method} ${endpoint}${tenantId ? ` in tenant ${tenantId}` : ''}: the key must be ` +
        `allowed ${method} on ${endpoint}${tenantId ? ` and must not be locked to another tenant than ${tenantId}` : ''}` +
        (lookup === 'search' ? ' (or run with --lookup get, for a key allowed GET on /api/user only).' : '.'),
    );
  }
}

/** FusionAuth could not answer, after every retry: nothing is decided about those users. */
export class FusionAuthUnavailableError extends Error {
  override name = 'FusionAuthUnavailableError';
}

export interface CheckerOptions {
  readonly rateLimiter: RateLimiter;
  readonly retry?: RetryPolicy;
}

/** 429 and 5xx back off for up to a minute in all, the longest wait 10 s (or what Retry-After asks, up to 30 s). */
export const LOOKUP_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 250, maxDelayMs: 10_000 };
const MAX_RETRY_AFTER_MS = 30_000;
export const DEFAULT_SEARCH_BATCH = 100;
/** FusionAuth takes the ids in a JSON body, with no documented limit; this keeps one answer small. */
export const MAX_SEARCH_BATCH = 1_000;
export const DEFAULT_GET_CONCURRENCY = 8;

type Attempt<T> = { readonly done: T } | { readonly retry: string; readonly afterMs?: number };

/** Runs `attempt` until it is done, backing off between tries; throws once the retries run out. */
async function withRetries<T>(attempt: () => Promise<Attempt<T>>, options: CheckerOptions, signal: AbortSignal | undefined): Promise<T> {
  const policy = options.retry ?? LOOKUP_RETRY;
  let last = '';
  for (let n = 1; n <= policy.maxAttempts; n += 1) {
    await options.rateLimiter.take(signal);
    const outcome = await attempt();
    if ('done' in outcome) return outcome.done;
    last = outcome.retry;
    if (n === policy.maxAttempts) break;
    const delay = Math.max(fullJitterDelay(n - 1, policy), Math.min(outcome.afterMs ?? 0, MAX_RETRY_AFTER_MS));
    await wait(delay, undefined, { signal });
  }
  throw new FusionAuthUnavailableError(`FusionAuth could not answer after ${policy.maxAttempts} attempts (last: ${last}): nothing was decided about those users.`);
}

/** `POST /api/user/search` by ids, `batchSize` at a time. */
export function searchChecker(directory: UserSearchDirectory, options: CheckerOptions & { readonly batchSize?: number }): UserChecker {
  const batchSize = options.batchSize ?? DEFAULT_SEARCH_BATCH;
  return {
    method: 'search',
    batchSize,
    async check(ids, tenantId, signal) {
      const present: FoundUser[] = [];
      const absent: string[] = [];
      for (const batch of chunks(ids, batchSize)) {
        const found = await withRetries<Map<string, FoundUser>>(
          async () => {
            const answer = await directory.search(batch, tenantId, signal);
            if (answer.outcome === 'found') return { done: new Map(answer.users.map((user) => [user.id, user])) };
            if (answer.outcome === 'refused') throw new FusionAuthRefusedError(answer.status, 'search', tenantId);
            if (!answer.retryable) throw new FusionAuthUnavailableError(`FusionAuth's user search answered ${answer.detail}: is the FusionAuth URL right?`);
            return { retry: answer.detail, afterMs: answer.retryAfterMs };
          },
          options,
          signal,
        );
        for (const id of batch) {
          const user = found.get(idKey(id));
          if (user) present.push({ id, applicationIds: user.applicationIds });
          else absent.push(id);
        }
      }
      return { present, absent };
    },
  };
}

/** `GET /api/user/{id}` for each, `concurrency` at once: for a key allowed GET on /api/user only. */
export function getChecker(directory: UserDirectory, options: CheckerOptions & { readonly concurrency?: number }): UserChecker {
  const concurrency = options.concurrency ?? DEFAULT_GET_CONCURRENCY;
  return {
    method: 'get',
    batchSize: concurrency * 4,
    async check(ids, tenantId, signal) {
      const present: FoundUser[] = [];
      const absent: string[] = [];
      let next = 0;
      // The first failure stops the rest: a refused key must not go on asking.
      let failure: unknown;
      const lookUpNext = async (): Promise<void> => {
        while (next < ids.length && failure === undefined) {
          const id = ids[next++]!;
          try {
            const exists: readonly string[] | undefined = await withRetries<readonly string[] | undefined>(
              async () => {
                if (failure !== undefined) throw failure;
                const found = await directory.lookUp(id, tenantId, signal);
                if (found.outcome === 'absent') return { done: undefined };
                if (found.outcome === 'present') return { done: found.applicationIds };
                if (found.outcome === 'refused') throw new FusionAuthRefusedError(found.status, 'get', tenantId);
                if (signal?.aborted) throw signal.reason;
                return { retry: found.detail };
              },
              options,
              signal,
            );
            if (exists) present.push({ id, applicationIds: exists });
            else absent.push(id);
          } catch (error) {
            failure ??= error;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, lookUpNext));
      if (failure !== undefined) throw failure;
      return { present, absent };
    },
  };
}
