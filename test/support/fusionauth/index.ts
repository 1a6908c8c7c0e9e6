import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIKey, APIKeyPermissions, EventInfo, EventType, Tenant, User, Webhook } from '@fusionauth/typescript-client';
import { routeApiKeys } from './api-key-api.ts';
import { authenticate, type Caller } from './auth.ts';
import { FaultInjector, type Faults } from './faults.ts';
import { empty, invalid, isObject, type Reply, send } from './http.ts';
import type { DeliveryAttempt, HmacSigningKey, State, TransactionRecord } from './model.ts';
import { closedPortUrl, startWebhookReceiver, type WebhookReceiver } from './receiver.ts';
import { type CommitHold, type HoldFilter, WebhookSender } from './transactions.ts';
import { routeUsers } from './user-api.ts';
import { routeTenants, routeWebhooks } from './webhook-api.ts';

export type { FaultRule, Faults } from './faults.ts';
export type { FusionAuthEvent } from './events.ts';
export { SIGNATURE_HEADER } from './delivery.ts';
export {
  type DeliveryAttempt,
  type DeliveryOutcome,
  fusionAuthRegistration,
  fusionAuthTenant,
  fusionAuthUser,
  type HmacSigningKey,
  type Operation,
  type TransactionRecord,
  type UserSeed,
} from './model.ts';
export { closedPortUrl, type ReceivedDelivery, type ReceiverAnswer, type Responder, startWebhookReceiver, type WebhookReceiver } from './receiver.ts';
export type { CommitHold, HoldFilter } from './transactions.ts';

/** One request as the fake received it, and what it answered. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  /** The query string without its `?`. */
  readonly query: string;
  readonly authorization: string | undefined;
  readonly contentType: string | undefined;
  readonly body: unknown;
  /** The status answered; 0 when the connection was dropped (`faults.down`). */
  readonly status: number;
}

/** An API key to start with, as the API Key API stores one (SITE:apis/api-keys/_apikey-post-put-request-body.mdx). */
export interface ApiKeySetup {
  readonly key: string;
  readonly id?: string;
  /** Endpoints and methods, e.g. `{endpoints: {'/api/user': ['GET']}}`; none means every endpoint. */
  readonly permissions?: APIKeyPermissions;
  /** Locks the key to one tenant's objects. */
  readonly tenantId?: string;
  /** May call the API Key API. */
  readonly keyManager?: boolean;
}

export interface FakeFusionAuthSetup {
  /** The superuser key: every endpoint, every tenant, and key manager so it may create keys. */
  readonly apiKey?: string;
  readonly apiKeys?: readonly ApiKeySetup[];
  readonly tenants?: readonly Tenant[];
  readonly webhooks?: readonly Webhook[];
  /** Users with their ids; `fusionAuthUser` fills in the rest as FusionAuth stores them. */
  readonly users?: readonly User[];
  /** Key Master keys a webhook may name, with no secret the stand-in can sign with. */
  readonly keyIds?: readonly string[];
  /** Key Master HMAC keys by id, which signed webhooks are signed with. */
  readonly signingKeys?: Readonly<Record<string, HmacSigningKey>>;
}

/** A webhook to add; what is not given takes the defaults FusionAuth stores. */
export interface WebhookSetup extends Webhook {
  readonly url: string;
}

/** A second webhook that fails every delivery, for transactions that must not reach their level. */
export interface FailingWebhookOptions {
  readonly events: readonly EventType[];
  /** `status` (the default) answers `status`; `refused` points at a closed port; `timeout` never answers. */
  readonly failure?: 'status' | 'refused' | 'timeout';
  /** For `status`; 500 when not given. */
  readonly status?: number;
  /** The tenants it is for; a global webhook when not given. */
  readonly tenantIds?: readonly string[];
  /** For `timeout`: how long FusionAuth waits; 200 ms when not given. */
  readonly readTimeout?: number;
}

/**
 * A FusionAuth stand-in on 127.0.0.1 that speaks FusionAuth's HTTP API and webhook protocol: the
 * Webhook, Tenant, User, Registration and API Key APIs, and deliveries that commit or roll back the
 * operation as FusionAuth's transaction settings say. Everything it holds is in the maps below; tests
 * may read and change them between steps.
 */
export interface FakeFusionAuth {
  readonly url: string;
  /** The superuser key of the setup. */
  readonly apiKey: string;
  readonly webhooks: Map<string, Webhook>;
  readonly tenants: Map<string, Tenant>;
  readonly users: Map<string, User>;
  /** API keys by id, the superuser key among them. */
  readonly apiKeys: Map<string, APIKey>;
  /** Key Master key ids a webhook may be signed with. */
  readonly keyIds: Set<string>;
  /** Key Master HMAC keys by id. */
  readonly signingKeys: Map<string, HmacSigningKey>;
  readonly requests: RecordedRequest[];
  /** Every delivery attempt, retries included, in the order they ended. */
  readonly attempts: DeliveryAttempt[];
  /** Every transaction, committed or not, in the order they ended. */
  readonly transactions: TransactionRecord[];
  /** Make the API misbehave: `faults.fail({path, status})` for the next requests, `faults.down` for all. */
  readonly faults: Faults;
  /** The requests that could change something: all but GETs. */
  writes(): RecordedRequest[];
  /** Adds a webhook as if created in FusionAuth. */
  addWebhook(webhook: WebhookSetup): Webhook;
  /** Adds a webhook that fails every delivery; its receiver stops with `close()`. */
  addFailingWebhook(options: FailingWebhookOptions): Promise<Webhook>;
  /**
   * Stops the next matching transaction after its webhooks have met the level and before its commit,
   * until the test releases or fails it: the window where a receiver has answered 200 and FusionAuth
   * still shows the old state.
   */
  holdNextCommit(filter?: HoldFilter): CommitHold;
  /** Resolves once no delivery is in flight: the fire-and-forget ones of None, and the `.complete` events. */
  settled(): Promise<void>;
  /** Stops the server, aborts deliveries in flight, fails held commits and stops its own receivers. */
  close(): Promise<void>;
}

export async function startFakeFusionAuth(setup: FakeFusionAuthSetup = {}): Promise<FakeFusionAuth> {
  const apiKey = setup.apiKey ?? 'fusionauth-api-key-0123456789wxyz';
  const state = initialState(setup, apiKey);
  const sender = new WebhookSender(state);
  const faults = new FaultInjector();
  const requests: RecordedRequest[] = [];
  const receivers: WebhookReceiver[] = [];

  const server = createServer(async (request, response) => {
    const raw = await readBody(request);
    const url = new URL(request.url ?? '/', 'http://fusionauth');
    const method = request.method ?? 'GET';
    const record = (status: number, body: unknown) =>
      requests.push({
        method,
        path: url.pathname,
        query: url.search.slice(1),
        authorization: request.headers.authorization,
        contentType: request.headers['content-type'],
        body,
        status,
      });
    if (faults.down) {
      record(0, undefined);
      request.socket.destroy();
      return;
    }
    const { reply, body } = await handle(state, sender, faults, request, method, url, raw);
    record(reply.status, body);
    answer(sender, response, reply);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');

  const addWebhook = (webhook: WebhookSetup): Webhook => {
    const now = Date.now();
    const stored: Webhook = {
      connectTimeout: 1000,
      readTimeout: 2000,
      eventsEnabled: {} as Webhook['eventsEnabled'],
      global: false,
      headers: {},
      signatureConfiguration: { enabled: false },
      tenantIds: [],
      ...structuredClone(webhook),
      id: webhook.id ?? randomUUID(),
      insertInstant: now,
      lastUpdateInstant: now,
    };
    state.webhooks.set(stored.id!, stored);
    return stored;
  };

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    apiKey,
    webhooks: state.webhooks,
    tenants: state.tenants,
    users: state.users,
    apiKeys: state.apiKeys,
    keyIds: state.keyIds,
    signingKeys: state.signingKeys,
    requests,
    attempts: state.attempts,
    transactions: state.transactions,
    faults,
    writes: () => requests.filter((request) => request.method !== 'GET'),
    addWebhook,
    addFailingWebhook: async (options) => {
      const url = await failingUrl(options, receivers);
      return addWebhook({
        url,
        description: `fails: ${options.failure ?? 'status'}`,
        eventsEnabled: Object.fromEntries(options.events.map((type) => [type, true])) as Webhook['eventsEnabled'],
        global: options.tenantIds === undefined,
        tenantIds: [...(options.tenantIds ?? [])],
        ...(options.failure === 'timeout' && { readTimeout: options.readTimeout ?? 200 }),
      });
    },
    holdNextCommit: (filter) => sender.holdNextCommit(filter),
    settled: () => sender.settled(),
    close: async () => {
      sender.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await sender.settled();
      await Promise.all(receivers.map((receiver) => receiver.close()));
      await closed;
    },
  };
}

function initialState(setup: FakeFusionAuthSetup, apiKey: string): State {
  const superKey: APIKey = { id: randomUUID(), key: apiKey, keyManager: true, permissions: { endpoints: {} } };
  const keys: APIKey[] = [
    superKey,
    ...(setup.apiKeys ?? []).map((key) => ({
      id: key.id ?? randomUUID(),
      key: key.key,
      keyManager: key.keyManager ?? false,
      permissions: structuredClone(key.permissions ?? { endpoints: {} }),
      ...(key.tenantId !== undefined && { tenantId: key.tenantId }),
    })),
  ];
  const signingKeys = new Map(Object.entries(setup.signingKeys ?? {}));
  return {
    webhooks: new Map((setup.webhooks ?? []).map((webhook) => [webhook.id!, structuredClone(webhook)])),
    tenants: new Map((setup.tenants ?? []).map((tenant) => [tenant.id!, structuredClone(tenant)])),
    keyIds: new Set([...(setup.keyIds ?? []), ...signingKeys.keys()]),
    signingKeys,
    users: new Map((setup.users ?? []).map((user) => [user.id!, structuredClone(user)])),
    apiKeys: new Map(keys.map((key) => [key.id!, key])),
    attempts: [],
    transactions: [],
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  let raw = '';
  for await (const chunk of request) raw += chunk;
  return raw;
}

/** Faults first (they stand for what is in front of FusionAuth), then the key, then the JSON, then the API. */
async function handle(
  state: State,
  sender: WebhookSender,
  faults: FaultInjector,
  request: IncomingMessage,
  method: string,
  url: URL,
  raw: string,
): Promise<{ reply: Reply; body: unknown }> {
  let body: unknown;
  let parsed = true;
  try {
    body = raw === '' ? undefined : JSON.parse(raw);
  } catch {
    parsed = false;
  }
  const fault = faults.take(method, url.pathname);
  if (fault) return { reply: fault, body };
  const caller = authenticate(state, method, url.pathname, request.headers);
  if (!caller) return { reply: empty(401), body };
  if (!parsed) return { reply: invalid({ generalErrors: [{ code: '[invalidJSON]', message: 'Unable to parse the request body as JSON.' }] }), body };
  try {
    return { reply: await route(state, sender, caller, method, url, body, eventInfo(request, body)), body };
  } catch {
    // FusionAuth: "There was an internal error ... The response will be empty."
    return { reply: empty(500), body };
  }
}

function route(state: State, sender: WebhookSender, caller: Caller, method: string, url: URL, body: unknown, info: EventInfo): Reply | Promise<Reply> {
  const [api, resource, ...rest] = url.pathname.split('/').slice(1);
  const segments = rest.at(-1) === '' ? rest.slice(0, -1) : rest;
  if (api !== 'api') return empty(404);
  if (resource === 'user') return routeUsers({ state, sender, caller, method, segments, query: url.searchParams, body, info });
  if (segments.length > 1) return empty(404);
  if (resource === 'webhook') return routeWebhooks(state, method, rest[0], body);
  if (resource === 'tenant') return routeTenants(state, method, rest[0], body, caller.tenantId);
  if (resource === 'api-key') return routeApiKeys(state, caller, method, segments[0], body);
  return empty(404);
}

/** `event.info` (SITE:extend/events-and-webhooks/events/_event-body.astro): where the request came from, and the body's `eventInfo`. */
function eventInfo(request: IncomingMessage, body: unknown): EventInfo {
  const ipAddress = request.socket.remoteAddress?.replace(/^::ffff:/, '');
  const userAgent = request.headers['user-agent'];
  const given = isObject(body) && isObject(body.eventInfo) ? (body.eventInfo as EventInfo) : {};
  return { ...(ipAddress && { ipAddress }), ...(userAgent && { userAgent }), ...given };
}

/** Sends the reply; its `afterResponse` (the `.complete` events) runs once the answer has gone out. */
function answer(sender: WebhookSender, response: ServerResponse, reply: Reply): void {
  const after = reply.afterResponse;
  if (after) {
    void sender.track(
      new Promise<void>((resolve) => {
        let ran = false;
        const run = () => {
          if (ran) return;
          ran = true;
          after();
          resolve();
        };
        response.once('finish', run);
        response.once('close', run);
      }),
    );
  }
  send(response, reply);
}

async function failingUrl(options: FailingWebhookOptions, receivers: WebhookReceiver[]): Promise<string> {
  if (options.failure === 'refused') return closedPortUrl();
  const receiver = await startWebhookReceiver(() => (options.failure === 'timeout' ? 'hang' : (options.status ?? 500)));
  receivers.push(receiver);
  return receiver.url;
}
