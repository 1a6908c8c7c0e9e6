import { randomBytes, randomUUID } from 'node:crypto';
import type { APIKey, APIKeyPermissions } from '@fusionauth/typescript-client';
import { type Caller, covers } from './auth.ts';
import { empty, fieldError, invalid, invalidJson, isObject, ok, type Reply, sameId } from './http.ts';
import type { State } from './model.ts';

const METHODS = ['DELETE', 'GET', 'PATCH', 'POST', 'PUT'];

/**
 * The API Key API (SITE:apis/api-keys/*.mdx). Only a key manager key gets here (auth.ts answers 401
 * otherwise). A key may hand out only what it may do itself: its tenant, and no endpoint it is not
 * permitted; asking for more is answered 401, as every refusal of a key is. A key manager key cannot
 * be made through this API: the request body does not document `keyManager`, and new keys have false.
 */
export function routeApiKeys(state: State, caller: Caller, method: string, id: string | undefined, body: unknown): Reply {
  if (method === 'POST') return createKey(state, caller, id ?? randomUUID(), body);
  if (id === undefined) return empty(405);
  const key = state.apiKeys.get(id);
  if (!key || !mayManage(caller, key)) return empty(404);
  // A key made with `retrievable: false` shows its value once, in the create response.
  if (method === 'GET') return ok({ apiKey: key.retrievable === false ? { ...key, key: undefined } : key });
  if (method === 'DELETE') {
    state.apiKeys.delete(id);
    return empty(200);
  }
  return empty(405);
}

/** "An API key with equal or greater permissions must be used" (apis/api-keys/index.mdx); a tenant key keeps to its tenant. */
const mayManage = (caller: Caller, key: APIKey): boolean =>
  (caller.tenantId === undefined || sameId(caller.tenantId, key.tenantId)) && covers(caller.key.permissions, key.permissions);

function createKey(state: State, caller: Caller, id: string, body: unknown): Reply {
  if (!isObject(body) || !isObject(body.apiKey)) return invalid(fieldError('apiKey', '[missing]apiKey', 'You must specify the [apiKey] property.'));
  if (state.apiKeys.has(id)) return invalid(fieldError('apiKeyId', '[duplicate]apiKeyId', `An API key with Id [${id}] already exists.`));
  const requested = body.apiKey;
  const permissions = checkPermissions(requested.permissions);
  if ('error' in permissions) return invalid(invalidJson('apiKey.permissions', permissions.error));
  const tenantId = typeof requested.tenantId === 'string' ? requested.tenantId : caller.tenantId;
  if (tenantId !== undefined && !state.tenants.has(tenantId)) {
    return invalid(fieldError('apiKey.tenantId', '[invalid]apiKey.tenantId', `The [apiKey.tenantId] property contains the Id [${tenantId}], which is not a tenant.`));
  }
  const key = typeof requested.key === 'string' && requested.key !== '' ? requested.key : randomBytes(48).toString('base64url');
  if ([...state.apiKeys.values()].some((existing) => existing.key === key)) {
    return invalid(fieldError('apiKey.key', '[duplicate]apiKey.key', 'An API key with that value already exists.'));
  }
  const now = Date.now();
  const created: APIKey = {
    id,
    insertInstant: now,
    key,
    keyManager: false,
    lastUpdateInstant: now,
    ...(isObject(requested.metaData) && { metaData: requested.metaData as APIKey['metaData'] }),
    ...(typeof requested.name === 'string' && { name: requested.name }),
    permissions: permissions.value,
    retrievable: requested.retrievable !== false,
    ...(tenantId !== undefined && { tenantId }),
  };
  if (!mayManage(caller, created)) return empty(401);
  state.apiKeys.set(id, created);
  return ok({ apiKey: created });
}

/** `{endpoints: {"/api/user": ["GET"]}}`, methods upper-cased; anything else is a body FusionAuth cannot bind. */
function checkPermissions(value: unknown): { value: APIKeyPermissions } | { error: string } {
  if (value === undefined || value === null) return { value: { endpoints: {} } };
  if (!isObject(value) || (value.endpoints !== undefined && !isObject(value.endpoints))) return { error: 'Expected an object' };
  const endpoints: Record<string, string[]> = {};
  for (const [endpoint, methods] of Object.entries((value.endpoints ?? {}) as Record<string, unknown>)) {
    if (!Array.isArray(methods) || !methods.every((method) => typeof method === 'string' && METHODS.includes(method.toUpperCase()))) {
      return { error: `Expected an array of HTTP methods for [${endpoint}]` };
    }
    endpoints[endpoint] = methods.map((method: string) => method.toUpperCase());
  }
  return { value: { endpoints } };
}

