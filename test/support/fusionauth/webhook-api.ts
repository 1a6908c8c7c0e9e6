import { randomUUID } from 'node:crypto';
import type { Tenant, Webhook } from '@fusionauth/typescript-client';
import { type Errors, empty, fieldError, invalid, invalidJson, isObject, type Reply, sameId } from './http.ts';
import { EVENT_TYPES, type State, TRANSACTION_TYPES } from './model.ts';

// The Webhook and Tenant APIs as `npm run register` calls them (SITE:apis/webhooks, apis/tenants):
// 404 with an empty body for an unknown id, request bodies checked against the documented fields,
// FusionAuth's Errors body for what it refuses, and the legacy `application/json` PATCH that merges
// objects. A tenant PATCH without `webhookIds` unlinks the tenant from every webhook that is not
// global, as FusionAuth does (issue 2411).

/** Ids in the webhook body as FusionAuth writes them: lower case. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function routeWebhooks(state: State, method: string, id: string | undefined, body: unknown): Reply {
  if (id === undefined || id === '') {
    if (method === 'GET') return { status: 200, body: { webhooks: [...state.webhooks.values()] } };
    if (method === 'POST') return saveWebhook(state, randomUUID(), body, 'create');
    return empty(405);
  }
  if (method === 'GET') return found(state.webhooks.get(id), (webhook) => ({ webhook }));
  if (method === 'POST') return saveWebhook(state, id, body, 'create');
  if (method === 'PUT') return state.webhooks.has(id) ? saveWebhook(state, id, body, 'update') : empty(404);
  return empty(405);
}

/**
 * A request scoped to a tenant (a tenant-locked key or X-FusionAuth-TenantId) sees that tenant only:
 * another tenant is not found, as the docs say of any object of another tenant
 * (SITE:apis/_tenant-authentication.mdx, "Tenant Errors").
 */
export function routeTenants(state: State, method: string, id: string | undefined, body: unknown, scope: string | undefined): Reply {
  const visible = (tenant: Tenant) => scope === undefined || sameId(tenant.id, scope);
  if (id === undefined || id === '') {
    return method === 'GET' ? { status: 200, body: { tenants: [...state.tenants.values()].filter(visible) } } : empty(405);
  }
  const tenant = state.tenants.get(id);
  const shown = tenant !== undefined && visible(tenant) ? tenant : undefined;
  if (method === 'GET') return found(shown, (value) => ({ tenant: value }));
  if (method === 'PATCH') return shown ? patchTenant(state, id, body) : empty(404);
  return empty(405);
}

const found = <T>(value: T | undefined, wrap: (value: T) => unknown): Reply =>
  value === undefined ? empty(404) : { status: 200, body: wrap(value) };

function saveWebhook(state: State, id: string, body: unknown, mode: 'create' | 'update'): Reply {
  if (mode === 'create' && state.webhooks.has(id)) {
    return invalid({ fieldErrors: { webhookId: [{ code: '[duplicate]webhookId', message: `A Webhook with Id [${id}] already exists.` }] } });
  }
  const checked = checkWebhookRequest(state, body);
  if ('errors' in checked) return invalid(checked.errors);
  const now = Date.now();
  const previous = state.webhooks.get(id);
  // FusionAuth answers with its defaults filled in; a later run must still find nothing to change.
  const webhook: Webhook = {
    eventsEnabled: {} as Webhook['eventsEnabled'],
    global: false,
    headers: {},
    signatureConfiguration: { enabled: false },
    tenantIds: [],
    ...checked.webhook,
    id,
    insertInstant: previous?.insertInstant ?? now,
    lastUpdateInstant: now,
  };
  state.webhooks.set(id, webhook);
  return { status: 200, body: { webhook } };
}

function checkWebhookRequest(state: State, body: unknown): { webhook: Webhook } | { errors: Errors } {
  if (!isObject(body)) return { errors: invalidJson('webhook', 'Expected a JSON object') };
  const unknownTop = Object.keys(body).find((key) => key !== 'webhook');
  if (unknownTop) return { errors: invalidJson(unknownTop, 'Unrecognized property') };
  const webhook = body.webhook;
  if (!isObject(webhook)) return { errors: fieldError('webhook', '[missing]webhook', 'You must specify the [webhook] property.') };

  const malformed = malformedWebhookProperty(webhook);
  if (malformed) return { errors: invalidJson(malformed.property, malformed.error) };

  const errors: Errors = {};
  const add = (code: string, field: string, message: string) => {
    errors.fieldErrors ??= {};
    (errors.fieldErrors[field] ??= []).push({ code: `${code}${field}`, message });
  };
  const specify = (field: string) => `You must specify the [${field}] property.`;
  const url = webhook.url as string | null | undefined;
  if (url == null) add('[missing]', 'webhook.url', specify('webhook.url'));
  else if (url.trim() === '') add('[blank]', 'webhook.url', specify('webhook.url'));
  else if (!isHttpUrl(url)) add('[invalid]', 'webhook.url', 'The [webhook.url] property must be an http or https URL.');
  for (const field of ['webhook.connectTimeout', 'webhook.readTimeout']) {
    const value = webhook[field.slice('webhook.'.length)] as number | null | undefined;
    if (value == null) add('[missing]', field, specify(field));
    else if (value <= 0) add('[invalid]', field, `The [${field}] property must be greater than 0.`);
  }
  for (const tenantId of (webhook.tenantIds as string[] | undefined) ?? []) {
    if (!state.tenants.has(tenantId)) {
      add('[invalid]', 'webhook.tenantIds', `The [webhook.tenantIds] property contains the Id [${tenantId}], which is not a tenant.`);
    }
  }
  const signature = webhook.signatureConfiguration as { enabled?: boolean; signingKeyId?: string } | undefined;
  const keyField = 'webhook.signatureConfiguration.signingKeyId';
  if (signature?.enabled && signature.signingKeyId === undefined) add('[missing]', keyField, specify(keyField));
  else if (signature?.signingKeyId !== undefined && !state.keyIds.has(signature.signingKeyId) && !state.signingKeys.has(signature.signingKeyId)) {
    add('[invalid]', keyField, `The key [${signature.signingKeyId}] does not exist in Key Master.`);
  }
  if (webhook.sslCertificate != null && webhook.sslCertificateKeyId != null) {
    add('[notAllowed]', 'webhook.sslCertificate', 'The [webhook.sslCertificate] property is not allowed with [webhook.sslCertificateKeyId].');
  }
  return errors.fieldErrors ? { errors } : { webhook: webhook as Webhook };
}

/**
 * Each documented webhook property and the JSON it takes; a check answers what is wrong, if
 * anything. FusionAuth refuses a body it cannot bind before it validates anything.
 */
type Check = (value: unknown) => string | undefined;
const string: Check = (value) => (typeof value === 'string' ? undefined : 'Expected a string');
const integer: Check = (value) => (Number.isInteger(value) ? undefined : 'Expected an integer');
const boolean: Check = (value) => (typeof value === 'boolean' ? undefined : 'Expected a boolean');
const uuid: Check = (value) => (typeof value === 'string' && UUID.test(value) ? undefined : 'Expected a UUID');
const object: Check = (value) => (isObject(value) ? undefined : 'Expected an object');
const mapOf = (check: Check): Check => (value) => object(value) ?? Object.values(value as object).map(check).find(Boolean);
const arrayOf = (check: Check): Check => (value) =>
  Array.isArray(value) ? value.map(check).find(Boolean) : 'Expected an array';
const shape = (fields: Record<string, Check>): Check => (value) =>
  object(value) ??
  Object.entries(value as object)
    .map(([key, field]) => (fields[key] ? fields[key](field) : `Unrecognized property ${key}`))
    .find(Boolean);
/** As Jackson words it when a map key is not an EventType. */
const eventTypeKeys = (check: Check): Check => (value) => {
  const unknown = isObject(value) ? Object.keys(value).find((type) => !EVENT_TYPES.includes(type)) : undefined;
  if (unknown) {
    return `Cannot deserialize Map key of type \`io.fusionauth.domain.event.EventType\` from String "${unknown}": not a valid representation`;
  }
  return mapOf(check)(value);
};
const transactionType: Check = (value) =>
  TRANSACTION_TYPES.includes(value as string)
    ? undefined
    : `Cannot deserialize value of type \`io.fusionauth.domain.TransactionType\` from String "${String(value)}"`;

const WEBHOOK_SHAPE: Record<string, Check> = {
  connectTimeout: integer,
  data: object,
  description: string,
  eventsEnabled: eventTypeKeys(boolean),
  global: boolean,
  headers: mapOf(string),
  httpAuthenticationPassword: string,
  httpAuthenticationUsername: string,
  id: uuid,
  insertInstant: integer,
  lastUpdateInstant: integer,
  readTimeout: integer,
  signatureConfiguration: shape({ enabled: boolean, signingKeyId: uuid }),
  sslCertificate: string,
  sslCertificateKeyId: uuid,
  tenantIds: arrayOf(uuid),
  url: string,
};
const TENANT_EVENTS: Check = eventTypeKeys(shape({ enabled: boolean, transactionType }));

/** The first property FusionAuth could not bind, and why. */
function malformedWebhookProperty(webhook: Record<string, unknown>): { property: string; error: string } | undefined {
  for (const [field, value] of Object.entries(webhook)) {
    const check = WEBHOOK_SHAPE[field];
    if (!check) return { property: `webhook.${field}`, error: 'Unrecognized property' };
    const error = value === null ? undefined : check(value);
    if (error) return { property: `webhook.${field}`, error };
  }
  return undefined;
}

function patchTenant(state: State, id: string, body: unknown): Reply {
  if (!isObject(body)) return invalid(invalidJson('tenant', 'Expected a JSON object'));
  const unknownTop = Object.keys(body).find((key) => !['tenant', 'webhookIds', 'sourceTenantId', 'eventInfo'].includes(key));
  if (unknownTop) return invalid(invalidJson(unknownTop, 'Unrecognized property'));
  if (body.tenant !== undefined && !isObject(body.tenant)) return invalid(invalidJson('tenant', 'Expected an object'));
  const events = (body.tenant as { eventConfiguration?: { events?: unknown } } | undefined)?.eventConfiguration?.events;
  const eventsError = events === undefined ? undefined : TENANT_EVENTS(events);
  if (eventsError) return invalid(invalidJson('tenant.eventConfiguration.events', eventsError));
  const webhookIds = body.webhookIds;
  if (webhookIds !== undefined) {
    const malformed = arrayOf(uuid)(webhookIds);
    if (malformed) return invalid(invalidJson('webhookIds', malformed));
    const unknown = (webhookIds as string[]).find((webhookId) => !state.webhooks.has(webhookId));
    if (unknown) {
      return invalid(
        fieldError('webhookIds', '[invalid]webhookIds', `The [webhookIds] property contains the Id [${unknown}], which is not a webhook.`),
      );
    }
  }

  const tenant = merge(state.tenants.get(id), body.tenant ?? {}) as Tenant;
  state.tenants.set(id, { ...tenant, id });
  for (const webhook of state.webhooks.values()) {
    if (webhook.global) continue;
    const linked = (webhookIds as string[] | undefined)?.includes(webhook.id!) ?? false;
    const others = (webhook.tenantIds ?? []).filter((tenantId) => tenantId !== id);
    webhook.tenantIds = linked ? [...others, id] : others;
  }
  return { status: 200, body: { tenant: state.tenants.get(id) } };
}

/** PATCH with `application/json`: objects merge, anything else replaces, null removes. */
function merge(target: unknown, patch: unknown): unknown {
  if (!isObject(target) || !isObject(patch)) return structuredClone(patch);
  const merged: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = merge(target[key], value);
  }
  return merged;
}

function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}
