import type { IncomingHttpHeaders } from 'node:http';
import type { APIKey, APIKeyPermissions } from '@fusionauth/typescript-client';
import type { State } from './model.ts';

/** Who is calling: the API key, and the tenant the request is scoped to, if any. */
export interface Caller {
  readonly key: APIKey;
  readonly tenantId: string | undefined;
}

/**
 * The endpoints an API key permission can name, from FusionAuth's endpoint list
 * (SITE:reference/_api-endpoint-list.astro, content/json/generated/api-endpoints.json): the ones of
 * the APIs this stand-in serves and their neighbours, so a path is never charged to the wrong one.
 */
const ENDPOINTS: readonly string[] = [
  '/api/api-key',
  '/api/tenant',
  '/api/tenant/search',
  '/api/user',
  '/api/user/action',
  '/api/user/bulk',
  '/api/user/change-password',
  '/api/user/comment',
  '/api/user/consent',
  '/api/user/family',
  '/api/user/forgot-password',
  '/api/user/import',
  '/api/user/recent-login',
  '/api/user/registration',
  '/api/user/search',
  '/api/user/two-factor',
  '/api/user/verify-email',
  '/api/user/verify-registration',
  '/api/webhook',
  '/api/webhook/search',
];

/**
 * The endpoint a request path belongs to: the longest listed endpoint the path starts with, segment by
 * segment. FusionAuth lists `/api/user`, `/api/user/search`, `/api/user/bulk` and
 * `/api/user/registration` as separate endpoints, each with its own methods, so a key allowed
 * `GET /api/user` may retrieve `/api/user/{id}` but not call `/api/user/search`; a path parameter
 * (`/api/user/{userId}`) belongs to the endpoint before it.
 */
export function endpointOf(path: string): string {
  let best: string | undefined;
  for (const endpoint of ENDPOINTS) {
    if ((path === endpoint || path.startsWith(`${endpoint}/`)) && endpoint.length > (best?.length ?? 0)) best = endpoint;
  }
  return best ?? path;
}

/** A key without endpoint permissions may call everything (SITE:apis/authentication.mdx, "API Key Permissions"). */
export const isSuperKey = (permissions: APIKeyPermissions | undefined): boolean => Object.keys(permissions?.endpoints ?? {}).length === 0;

export function allows(permissions: APIKeyPermissions | undefined, method: string, endpoint: string): boolean {
  if (isSuperKey(permissions)) return true;
  return (permissions?.endpoints?.[endpoint] ?? []).some((allowed) => allowed.toUpperCase() === method);
}

/** Whether a key with `held` may hand out `wanted`: only what it may do itself (SITE:apis/api-keys/index.mdx). */
export function covers(held: APIKeyPermissions | undefined, wanted: APIKeyPermissions | undefined): boolean {
  if (isSuperKey(held)) return true;
  if (isSuperKey(wanted)) return false;
  return Object.entries(wanted?.endpoints ?? {}).every(([endpoint, methods]) => methods.every((method) => allows(held, method.toUpperCase(), endpoint)));
}

/**
 * The caller, or undefined for FusionAuth's 401 with an empty body: no key, an unknown or expired key,
 * an endpoint or method the key is not permitted, the API Key API without a key manager key
 * (SITE:apis/api-keys/index.mdx), or an X-FusionAuth-TenantId naming another tenant than the key is
 * locked to. The docs are silent on that last one; a key locked to a tenant may do nothing outside it,
 * so the stand-in refuses it like any other request the key may not make.
 */
export function authenticate(state: State, method: string, path: string, headers: IncomingHttpHeaders): Caller | undefined {
  const value = headers.authorization;
  if (value === undefined || value === '') return undefined;
  const key = [...state.apiKeys.values()].find((candidate) => candidate.key === value);
  if (!key || (key.expirationInstant !== undefined && key.expirationInstant <= Date.now())) return undefined;
  const endpoint = endpointOf(path);
  // The API Key API is not in the endpoint list a key is granted from: being a key manager is what opens it.
  const permitted = endpoint === '/api/api-key' ? key.keyManager === true : allows(key.permissions, method, endpoint);
  if (!permitted) return undefined;
  const header = headerValue(headers['x-fusionauth-tenantid'])?.toLowerCase();
  if (key.tenantId !== undefined && header !== undefined && header !== key.tenantId.toLowerCase()) return undefined;
  // A header naming no tenant at all is taken as given: such a scope matches no object, so the
  // request finds nothing (the docs are silent on it).
  return { key, tenantId: key.tenantId ?? header };
}

const headerValue = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value) || undefined;
