import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type EventConfigurationData,
  EventType,
  type Tenant,
  TransactionType,
  type Webhook,
} from '@fusionauth/typescript-client';

/** One request as the fake received it, and what it answered. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly contentType: string | undefined;
  readonly body: unknown;
  readonly status: number;
}

export interface FakeFusionAuth {
  readonly url: string;
  readonly apiKey: string;
  /** FusionAuth's data, by id; tests may read and change it between runs. */
  readonly webhooks: Map<string, Webhook>;
  readonly tenants: Map<string, Tenant>;
  /** Key Master key ids a webhook may be signed with. */
  readonly keyIds: Set<string>;
  readonly requests: RecordedRequest[];
  /** The requests that could change something: all but GETs. */
  writes(): RecordedRequest[];
  close(): Promise<void>;
}

export interface FakeFusionAuthSetup {
  readonly apiKey?: string;
  readonly tenants?: readonly Tenant[];
  readonly webhooks?: readonly Webhook[];
  readonly keyIds?: readonly string[];
}

interface FieldError {
  code: string;
  message: string;
}

/** FusionAuth's Errors body (fusionauth.io/docs/apis/errors). */
interface Errors {
  fieldErrors?: Record<string, FieldError[]>;
  generalErrors?: FieldError[];
}

interface Reply {
  status: number;
  body?: unknown;
}

const EVENT_TYPES: readonly string[] = Object.values(EventType);
const TRANSACTION_TYPES: readonly string[] = Object.values(TransactionType);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A tenant as GET /api/tenant/{id} returns it: every event type listed, disabled with transaction
 * type None unless `events` says otherwise, beside settings that a PATCH must leave alone.
 */
export function fusionAuthTenant(
  id: string,
  name: string,
  events: Partial<Record<`${EventType}`, EventConfigurationData>> = {},
): Tenant {
  const all = Object.fromEntries(EVENT_TYPES.map((type) => [type, { enabled: false, transactionType: TransactionType.None }]));
  return {
    id,
    name,
    issuer: 'acme.com',
    emailConfiguration: { host: 'localhost', port: 25, defaultFromEmail: 'no-reply@acme.com' },
    eventConfiguration: { events: { ...all, ...events } as Record<EventType, EventConfigurationData> },
    data: {},
  };
}

/**
 * A stand-in for FusionAuth's Webhook and Tenant APIs, as their documentation describes them
 * (fusionauth.io/docs/apis/webhooks, /apis/tenants, /apis/errors): the API key in the
 * Authorization header (401 with an empty body otherwise), 404 with an empty body for an unknown
 * id, request bodies checked against the documented fields, FusionAuth's Errors body for what it
 * refuses, and the legacy `application/json` PATCH that merges objects. A tenant PATCH without
 * `webhookIds` unlinks the tenant from every webhook that is not global, as FusionAuth does
 * (issue 2411). Only what `npm run register` calls is served.
 */
export async function startFakeFusionAuth(setup: FakeFusionAuthSetup = {}): Promise<FakeFusionAuth> {
  const apiKey = setup.apiKey ?? 'fusionauth-api-key-0123456789wxyz';
  const webhooks = new Map((setup.webhooks ?? []).map((webhook) => [webhook.id!, structuredClone(webhook)]));
  const tenants = new Map((setup.tenants ?? []).map((tenant) => [tenant.id!, structuredClone(tenant)]));
  const keyIds = new Set(setup.keyIds ?? []);
  const requests: RecordedRequest[] = [];
  const state = { webhooks, tenants, keyIds };

  const server = createServer(async (request, response) => {
    let raw = '';
    for await (const chunk of request) raw += chunk;
    const path = new URL(request.url ?? '/', 'http://fusionauth').pathname;
    const method = request.method ?? 'GET';
    let body: unknown;
    let parsed = true;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      parsed = false;
    }
    const reply: Reply =
      request.headers.authorization !== apiKey
        ? { status: 401 }
        : parsed
          ? route(state, method, path, body)
          : { status: 400, body: { generalErrors: [{ code: '[invalidJSON]', message: 'Unable to parse the request body as JSON.' }] } };
    requests.push({
      method,
      path,
      authorization: request.headers.authorization,
      contentType: request.headers['content-type'],
      body,
      status: reply.status,
    });
    send(response, reply);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    apiKey,
    webhooks,
    tenants,
    keyIds,
    requests,
    writes: () => requests.filter((request) => request.method !== 'GET'),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

type State = Pick<FakeFusionAuth, 'webhooks' | 'tenants' | 'keyIds'>;

function route(state: State, method: string, path: string, body: unknown): Reply {
  const [api, resource, id, ...rest] = path.split('/').slice(1);
  if (api !== 'api' || rest.length > 0) return { status: 404 };
  if (resource === 'webhook') {
    if (id === undefined || id === '') {
      if (method === 'GET') return { status: 200, body: { webhooks: [...state.webhooks.values()] } };
      if (method === 'POST') return saveWebhook(state, randomUUID(), body, 'create');
      return { status: 405 };
    }
    if (method === 'GET') return found(state.webhooks.get(id), (webhook) => ({ webhook }));
    if (method === 'POST') return saveWebhook(state, id, body, 'create');
    if (method === 'PUT') return state.webhooks.has(id) ? saveWebhook(state, id, body, 'update') : { status: 404 };
    return { status: 405 };
  }
  if (resource === 'tenant') {
    if (id === undefined || id === '') {
      return method === 'GET' ? { status: 200, body: { tenants: [...state.tenants.values()] } } : { status: 405 };
    }
    if (method === 'GET') return found(state.tenants.get(id), (tenant) => ({ tenant }));
    if (method === 'PATCH') return state.tenants.has(id) ? patchTenant(state, id, body) : { status: 404 };
    return { status: 405 };
  }
  return { status: 404 };
}

const found = <T>(value: T | undefined, wrap: (value: T) => unknown): Reply =>
  value === undefined ? { status: 404 } : { status: 200, body: wrap(value) };

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
  else if (signature?.signingKeyId !== undefined && !state.keyIds.has(signature.signingKeyId)) {
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

const invalid = (errors: Errors): Reply => ({ status: 400, body: errors });

const fieldError = (field: string, code: string, message: string): Errors => ({ fieldErrors: { [field]: [{ code, message }] } });

const invalidJson = (property: string, error: string): Errors =>
  fieldError(
    property,
    '[invalidJSON]',
    `Invalid JSON in the request body. The property was [${property}]. The error was [Possible conversion error]. The detailed exception was [${error}].`,
  );

function send(response: ServerResponse, { status, body }: Reply): void {
  // Like FusionAuth: JSON for 200 and 400, an empty body for 401, 404 and 405.
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, {
    ...(text && { 'content-type': 'application/json;charset=UTF-8' }),
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}
