import { InvalidEventError, MethodNotAllowedError, PayloadTooLargeError } from '../errors.ts';
import { decodeBase64 } from './base64.ts';

/** Passport's events are a few KB; anything past this is not one. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** What the webhook needs of an API Gateway event, whichever payload format carried it. */
export interface WebhookRequest {
  readonly method: string;
  /** Every value sent under each header name, names lower-cased. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly body: string;
  readonly isBase64Encoded: boolean;
}

type Loose = Record<string, unknown> | undefined;

const asRecord = (value: unknown): Loose =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

/**
 * Reads an HTTP API (payload format 2.0, as a Function URL also sends) or REST API (1.0) event.
 * Anything that is not a POST is refused here, before authentication or the body are looked at.
 */
export function readRequest(event: unknown): WebhookRequest {
  const e = asRecord(event);
  const http = asRecord(asRecord(e?.requestContext)?.http);
  const method = typeof http?.method === 'string' ? http.method : typeof e?.httpMethod === 'string' ? e.httpMethod : undefined;
  if (method !== 'POST') throw new MethodNotAllowedError(method);
  return {
    method: 'POST',
    headers: readHeaders(asRecord(e?.headers), asRecord(e?.multiValueHeaders)),
    body: typeof e?.body === 'string' ? e.body : '',
    isBase64Encoded: e?.isBase64Encoded === true,
  };
}

function readHeaders(single: Loose, multi: Loose): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  const add = (name: string, value: unknown) => {
    if (typeof value !== 'string') return;
    const key = name.toLowerCase();
    const values = headers.get(key) ?? [];
    values.push(value);
    headers.set(key, values);
  };
  // REST APIs repeat every header in both maps; the multi-value map is the complete one.
  if (multi) {
    for (const [name, values] of Object.entries(multi)) if (Array.isArray(values)) values.forEach((v) => add(name, v));
  } else if (single) {
    for (const [name, value] of Object.entries(single)) add(name, value);
  }
  return headers;
}

/**
 * The one value of a header, or undefined when it is absent or sent more than once with
 * different values: an ambiguous credential is no credential.
 */
export function singleHeader(request: WebhookRequest, name: string): string | undefined {
  const values = request.headers.get(name.toLowerCase());
  if (!values || values.length === 0) return undefined;
  const first = values[0]!;
  return values.every((v) => v === first) ? first.trim() : undefined;
}

/** The raw body bytes, base64 decoded when API Gateway encoded them, within MAX_BODY_BYTES. */
export function readBody(request: WebhookRequest): Buffer {
  let bytes: Buffer | undefined;
  if (request.isBase64Encoded) {
    // Check the encoded length first so an oversized body is never decoded.
    if (request.body.length > Math.ceil(MAX_BODY_BYTES / 3) * 4) throw new PayloadTooLargeError(MAX_BODY_BYTES);
    bytes = decodeBase64(request.body);
    if (!bytes) throw new InvalidEventError('[invalidBase64]', 'The body is marked base64-encoded but is not valid base64.');
  } else {
    bytes = Buffer.from(request.body, 'utf8');
  }
  if (bytes.length > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
  return bytes;
}
