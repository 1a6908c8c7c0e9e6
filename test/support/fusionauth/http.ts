import type { ServerResponse } from 'node:http';

/** One error in FusionAuth's Errors body. */
export interface FieldError {
  code: string;
  message: string;
}

/** FusionAuth's Errors body (SITE:apis/errors.mdx). */
export interface Errors {
  fieldErrors?: Record<string, FieldError[]>;
  generalErrors?: FieldError[];
}

/** What a route answers; `afterResponse` runs once the answer has gone out (the `.complete` events). */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  afterResponse?: () => void;
}

export const empty = (status: number): Reply => ({ status });

export const ok = (body?: unknown): Reply => ({ status: 200, body });

export const invalid = (errors: Errors): Reply => ({ status: 400, body: errors });

export const fieldError = (field: string, code: string, message: string): Errors => ({ fieldErrors: { [field]: [{ code, message }] } });

export const generalError = (code: string, message: string): Errors => ({ generalErrors: [{ code, message }] });

export const invalidJson = (property: string, error: string): Errors =>
  fieldError(
    property,
    '[invalidJSON]',
    `Invalid JSON in the request body. The property was [${property}]. The error was [Possible conversion error]. The detailed exception was [${error}].`,
  );

export const specify = (field: string): string => `You must specify the [${field}] property.`;

/** The 504 of a webhook transaction that did not reach its level (SITE:extend/events-and-webhooks/index.mdx). */
export const webhookTransactionFailed = (): Reply => ({
  status: 504,
  body: generalError(
    '[WebhookTransactionException]',
    'One or more webhooks returned an invalid response or were unreachable. Based on your transaction configuration, your action cannot be completed.',
  ),
});

/** A Tenant Id is needed and neither the key nor the header gave one (SITE:apis/_tenant-authentication.mdx). */
export const tenantIdRequired = (): Reply =>
  invalid(
    generalError(
      '[TenantIdRequired]',
      'A Tenant Id is required to complete this request. To complete this request, you may assign a Tenant to your API key, or add the X-FusionAuth-TenantId HTTP request header with the Tenant Id.',
    ),
  );

export function send(response: ServerResponse, { status, body, headers }: Reply): void {
  // Like FusionAuth: JSON where a body is documented, an empty body for 401, 404, 405 and 500.
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, {
    ...(text && { 'content-type': 'application/json;charset=UTF-8' }),
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  response.end(text);
}

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/** FusionAuth's ids are UUIDs, equal whatever their case. */
export const sameId = (a: string | undefined, b: string | undefined): boolean =>
  a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
