import { STATUS_CODES } from 'node:http';
import { type APIKey, type Errors, FusionAuthClient, type Tenant, type Webhook } from '@fusionauth/typescript-client';
import type { WriteRequest } from './fusionauth-plan.ts';

export interface Endpoint {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  readonly path: string;
}

/** The reads and writes of the Webhook API and Tenant API (fusionauth.io/docs/apis/webhooks, /apis/tenants). */
export interface FusionAuthApi {
  webhooks(): Promise<Webhook[]>;
  tenant(tenantId: string): Promise<Tenant>;
  tenants(): Promise<Tenant[]>;
  send(request: WriteRequest): Promise<void>;
  /** POST /api/api-key (fusionauth.io/docs/apis/api-keys): the key FusionAuth made, with its id. */
  createApiKey(keyId: string, apiKey: APIKey): Promise<APIKey>;
}

/** The method and path the client uses for each write, for the dry run and for errors. */
export function endpointOf(request: WriteRequest): Endpoint {
  switch (request.kind) {
    case 'createWebhook':
      return { method: 'POST', path: `/api/webhook/${request.webhookId}` };
    case 'updateWebhook':
      return { method: 'PUT', path: `/api/webhook/${request.webhookId}` };
    case 'patchTenant':
      return { method: 'PATCH', path: `/api/tenant/${request.tenantId}` };
  }
}

/** FusionAuth answered other than 2xx, or could not be reached (no status). */
export class FusionAuthError extends Error {
  override name = 'FusionAuthError';

  constructor(
    readonly endpoint: Endpoint,
    readonly status: number | undefined,
    readonly errors: Errors | undefined,
    hint: string | undefined,
    options?: ErrorOptions,
  ) {
    super(describeFailure(endpoint, status, errors, hint), options);
  }
}

export function createFusionAuthApi(baseUrl: string, apiKey: string): FusionAuthApi {
  const client = new FusionAuthClient(apiKey, baseUrl);
  const call = async <T>(endpoint: Endpoint, run: () => Promise<{ response: T }>, hints: Hints = {}): Promise<T> => {
    try {
      return (await run()).response;
    } catch (error) {
      throw failure(endpoint, error, baseUrl, hints);
    }
  };
  return {
    webhooks: async () => (await call({ method: 'GET', path: '/api/webhook' }, () => client.retrieveWebhooks())).webhooks ?? [],
    async tenant(tenantId) {
      const { tenant } = await call({ method: 'GET', path: `/api/tenant/${tenantId}` }, () => client.retrieveTenant(tenantId), {
        404: `FusionAuth has no tenant ${tenantId}: check --tenant (Tenants lists the ids).`,
      });
      return tenant!;
    },
    tenants: async () => (await call({ method: 'GET', path: '/api/tenant' }, () => client.retrieveTenants())).tenants ?? [],
    async send(request) {
      await call(endpointOf(request), () => write(client, request));
    },
    async createApiKey(keyId, apiKey) {
      const { apiKey: created } = await call({ method: 'POST', path: `/api/api-key/${keyId}` }, () => client.createAPIKey(keyId, { apiKey }), {
        401: 'Only a key manager may create API keys: use a FusionAuth API key with "Key manager" on (Settings → API Keys).',
      });
      return created!;
    },
  };
}

function write(client: FusionAuthClient, request: WriteRequest): Promise<{ response: unknown }> {
  switch (request.kind) {
    case 'createWebhook':
      return client.createWebhook(request.webhookId, request.body);
    case 'updateWebhook':
      return client.updateWebhook(request.webhookId, request.body);
    case 'patchTenant':
      return client.patchTenant(request.tenantId, request.body);
  }
}

type Hints = Partial<Record<number, string>>;

const UNAUTHORIZED_HINT =
  'FusionAuth refused the API key: check FUSIONAUTH_API_KEY (or --api-key). The key must not be limited to a ' +
  'tenant and must be allowed GET, POST and PUT on /api/webhook and GET and PATCH on /api/tenant.';

/**
 * The client rejects with its ClientResponse: a status and, for a JSON answer, FusionAuth's
 * Errors body; without a status the request never got an answer and `exception` says why.
 */
function failure(endpoint: Endpoint, error: unknown, baseUrl: string, hints: Hints): FusionAuthError {
  const { statusCode, exception } = (error ?? {}) as { statusCode?: unknown; exception?: unknown };
  const status = typeof statusCode === 'number' ? statusCode : undefined;
  if (status === undefined) {
    const reason = exception instanceof Error ? exception.message : String(exception ?? error);
    return new FusionAuthError(endpoint, undefined, undefined, `Could not reach FusionAuth at ${baseUrl}: ${reason}`, { cause: error });
  }
  const errors = isErrors(exception) ? exception : undefined;
  return new FusionAuthError(endpoint, status, errors, hints[status] ?? (status === 401 ? UNAUTHORIZED_HINT : undefined), {
    cause: error,
  });
}

const isErrors = (value: unknown): value is Errors =>
  typeof value === 'object' && value !== null && ('fieldErrors' in value || 'generalErrors' in value);

/** FusionAuth's own field and general errors, each with its code, under the request that got them. */
function describeFailure(endpoint: Endpoint, status: number | undefined, errors: Errors | undefined, hint: string | undefined): string {
  const answer = status === undefined ? 'no answer' : `${status} ${STATUS_CODES[status] ?? ''}`.trimEnd();
  const lines = [`${endpoint.method} ${endpoint.path}: ${answer}`];
  for (const [field, fieldErrors] of Object.entries(errors?.fieldErrors ?? {})) {
    for (const { code, message } of fieldErrors) lines.push(`  ${field}: ${message ?? ''} ${code ? `(${code})` : ''}`.trimEnd());
  }
  for (const { code, message } of errors?.generalErrors ?? []) lines.push(`  ${message ?? ''} ${code ? `(${code})` : ''}`.trimEnd());
  if (hint) lines.push(hint);
  return lines.join('\n');
}
