import type { User } from '@fusionauth/typescript-client';
import type { CredentialSource } from '../auth/credential-source.ts';

/** What FusionAuth said of a user, in the terms a confirmation needs. */
export type UserLookup =
  | { readonly outcome: 'absent' }
  | { readonly outcome: 'present'; readonly applicationIds: readonly string[] }
  /** 401 or 403: the key is wrong or may not read users, which no retry mends. */
  | { readonly outcome: 'refused'; readonly status: number }
  /** Unreachable, a timeout, 429 or a 5xx (or anything unexpected): try again, never read as absent. */
  | { readonly outcome: 'unavailable'; readonly detail: string };

/** The users FusionAuth has; its API is one adapter. */
export interface UserDirectory {
  lookUp(userId: string, tenantId: string | undefined, signal?: AbortSignal): Promise<UserLookup>;
}

export interface FusionAuthUsersOptions {
  /** FusionAuth's base URL, e.g. https://auth.example.com. */
  readonly url: string;
  /** The API key: it needs GET on /api/user, nothing more. */
  readonly apiKey: CredentialSource;
  /** Each request's limit, so a stuck FusionAuth cannot hold a worker. @default 5000 */
  readonly timeoutMs?: number;
}

/**
 * `GET /api/user/{id}`: 200 with the user and their registrations, 404 when there is no such
 * user (fusionauth.io/docs/apis/users, Retrieve a User). `X-FusionAuth-TenantId` scopes the
 * request to the user's tenant, which a key locked to one tenant needs. A plain fetch rather
 * than @fusionauth/typescript-client, whose client brings node-fetch and 300 KB and cannot time
 * a request out.
 */
export function fusionAuthUsers({ url, apiKey, timeoutMs = 5_000 }: FusionAuthUsersOptions): UserDirectory {
  const api: FusionAuthApi = { base: url.replace(/\/+$/, ''), apiKey, timeoutMs };
  return {
    async lookUp(userId, tenantId, signal) {
      let response: Response;
      try {
        response = await callFusionAuth(api, `/api/user/${encodeURIComponent(userId)}`, { tenantId, signal });
      } catch (error) {
        return { outcome: 'unavailable', detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
      }
      if (response.status === 404) {
        await response.body?.cancel();
        return { outcome: 'absent' };
      }
      if (response.status === 401 || response.status === 403) {
        await response.body?.cancel();
        return { outcome: 'refused', status: response.status };
      }
      if (response.status !== 200) {
        await response.body?.cancel();
        return { outcome: 'unavailable', detail: `HTTP ${response.status}` };
      }
      try {
        const { user } = (await response.json()) as { user?: User };
        if (!user || user.id?.toLowerCase() !== userId.toLowerCase()) return { outcome: 'unavailable', detail: 'the answer names another user' };
        return { outcome: 'present', applicationIds: registeredApplications(user) };
      } catch (error) {
        return { outcome: 'unavailable', detail: `unreadable answer: ${error instanceof Error ? error.message : String(error)}` };
      }
    },
  };
}

/** A user a search found: its id in lower case, and the applications it is registered for. */
export interface FoundUser {
  readonly id: string;
  readonly applicationIds: readonly string[];
}

/** What FusionAuth answered a search by ids: the users it has, of those asked. */
export type UserSearch =
  | { readonly outcome: 'found'; readonly users: readonly FoundUser[] }
  /** 401 or 403: the key is wrong, or may not call POST /api/user/search (in this tenant). */
  | { readonly outcome: 'refused'; readonly status: number }
  /**
   * Unreachable, a timeout, 429 or a 5xx: `retryable`, after `retryAfterMs` when FusionAuth said;
   * anything else (a 400, a 404 from a wrong URL, an unreadable answer) is not, and never reads as absent.
   */
  | { readonly outcome: 'unavailable'; readonly detail: string; readonly retryable: boolean; readonly retryAfterMs?: number };

/** Many users at once, as a reconcile asks about them. */
export interface UserSearchDirectory {
  search(ids: readonly string[], tenantId: string | undefined, signal?: AbortSignal): Promise<UserSearch>;
}

/**
 * `POST /api/user/search` with `{"search": {"ids": [...]}}`: 200 with `{total, users}` of the
 * users found, which is not paginated (fusionauth.io/docs/apis/users/search, `search.ids`), and
 * scoped to `X-FusionAuth-TenantId` as the retrieve is.
 */
export function fusionAuthUserSearch({ url, apiKey, timeoutMs = 10_000 }: FusionAuthUsersOptions): UserSearchDirectory {
  const api: FusionAuthApi = { base: url.replace(/\/+$/, ''), apiKey, timeoutMs };
  return {
    async search(ids, tenantId, signal) {
      let response: Response;
      try {
        response = await callFusionAuth(api, '/api/user/search', { tenantId, signal, json: { search: { ids } } });
      } catch (error) {
        if (signal?.aborted) throw error;
        return { outcome: 'unavailable', retryable: true, detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
      }
      if (response.status !== 200) {
        await response.body?.cancel();
        if (response.status === 401 || response.status === 403) return { outcome: 'refused', status: response.status };
        const retryable = response.status === 429 || response.status >= 500;
        const retryAfter = Number(response.headers.get('retry-after'));
        return {
          outcome: 'unavailable',
          retryable,
          detail: `HTTP ${response.status}`,
          ...(Number.isFinite(retryAfter) && retryAfter > 0 && { retryAfterMs: retryAfter * 1000 }),
        };
      }
      try {
        const { users } = (await response.json()) as { users?: User[] };
        const asked = new Set(ids.map((id) => id.toLowerCase()));
        // Only ids that were asked about count as found: an answer naming others proves nothing of these.
        const found = (users ?? []).flatMap((user) => (user.id && asked.has(user.id.toLowerCase()) ? [{ id: user.id.toLowerCase(), applicationIds: registeredApplications(user) }] : []));
        return { outcome: 'found', users: found };
      } catch (error) {
        return { outcome: 'unavailable', retryable: false, detail: `unreadable answer: ${error instanceof Error ? error.message : String(error)}` };
      }
    },
  };
}

interface FusionAuthApi {
  /** The base URL without a trailing slash. */
  readonly base: string;
  readonly apiKey: CredentialSource;
  readonly timeoutMs: number;
}

/**
 * One request to FusionAuth's API with the current key, scoped to `tenantId` when there is one,
 * limited by `timeoutMs` and by `signal`; a POST of `json` when given, a GET otherwise.
 */
async function callFusionAuth(
  { base, apiKey, timeoutMs }: FusionAuthApi,
  path: string,
  { tenantId, signal, json }: { tenantId: string | undefined; signal: AbortSignal | undefined; json?: unknown },
): Promise<Response> {
  const [key] = await apiKey.list();
  const timeout = AbortSignal.timeout(timeoutMs);
  return fetch(`${base}${path}`, {
    ...(json !== undefined && { method: 'POST', body: JSON.stringify(json) }),
    headers: {
      authorization: key!,
      accept: 'application/json',
      ...(json !== undefined && { 'content-type': 'application/json' }),
      ...(tenantId && { 'x-fusionauth-tenantid': tenantId }),
    },
    signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
  });
}

/** The applications a user is registered for, their ids in lower case. */
const registeredApplications = (user: User): string[] =>
  (user.registrations ?? []).flatMap(({ applicationId }) => (applicationId ? [applicationId.toLowerCase()] : []));
