import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Webhook } from '@fusionauth/typescript-client';
import { SignJWT } from 'jose';
import type { DeliveryOutcome, HmacSigningKey } from './model.ts';

/** FusionAuth's defaults in its examples, for a webhook stored without timeouts. */
const DEFAULT_CONNECT_TIMEOUT_MS = 1000;
const DEFAULT_READ_TIMEOUT_MS = 2000;

export const SIGNATURE_HEADER = 'X-FusionAuth-Signature-JWT';

/**
 * The headers of a delivery (SITE:extend/events-and-webhooks/writing-a-webhook.mdx): the webhook's own
 * headers, `Content-Type: application/json`, Basic credentials when the webhook has them, and the
 * signature when signing is on. The docs do not say which wins when a configured header is also named
 * `Authorization`; Basic credentials are set last, so they do.
 */
export function deliveryHeaders(webhook: Webhook, signature: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { ...webhook.headers, 'Content-Type': 'application/json' };
  const username = webhook.httpAuthenticationUsername;
  if (username) {
    const credentials = Buffer.from(`${username}:${webhook.httpAuthenticationPassword ?? ''}`).toString('base64');
    for (const name of Object.keys(headers)) if (name.toLowerCase() === 'authorization') delete headers[name];
    headers.Authorization = `Basic ${credentials}`;
  }
  if (signature !== undefined) headers[SIGNATURE_HEADER] = signature;
  return headers;
}

/**
 * The signature JWT (SITE:extend/events-and-webhooks/signing.mdx): header `alg`, `typ` and `kid`,
 * one claim `request_body_sha256`, the padded standard base64 of the body bytes' SHA-256.
 */
export async function signBody(body: string, keyId: string, key: HmacSigningKey): Promise<string> {
  const request_body_sha256 = createHash('sha256').update(body).digest('base64');
  return new SignJWT({ request_body_sha256 })
    .setProtectedHeader({ alg: key.algorithm, typ: 'JWT', kid: key.kid ?? keyId })
    .sign(new TextEncoder().encode(key.secret));
}

/**
 * One POST of `body` to the webhook. `connectTimeout` bounds the time to a connection;
 * `readTimeout` the time from the connection to the end of the answer. FusionAuth counts a timeout,
 * a refused connection and any non-2xx as a failure (writing-a-webhook.mdx, "Retries"). Aborting
 * `signal` (the stand-in closing) ends the attempt as an error.
 */
export function post(webhook: Webhook, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<DeliveryOutcome> {
  return new Promise((resolve) => {
    const target = new URL(webhook.url ?? '');
    const client = target.protocol === 'https:' ? https : http;
    let done = false;
    let readTimer: NodeJS.Timeout | undefined;
    const request = client.request(target, {
      method: 'POST',
      headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
      // A fresh connection for each attempt, so connectTimeout always applies.
      agent: false,
    });
    const finish = (outcome: DeliveryOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(connectTimer);
      clearTimeout(readTimer);
      signal.removeEventListener('abort', abort);
      request.destroy();
      resolve(outcome);
    };
    const abort = () => finish('error');
    const connectTimer = setTimeout(() => finish('timeout'), webhook.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS);
    request.on('socket', (socket) => {
      const connected = () => {
        clearTimeout(connectTimer);
        readTimer = setTimeout(() => finish('timeout'), webhook.readTimeout ?? DEFAULT_READ_TIMEOUT_MS);
      };
      if (socket.connecting) socket.once('connect', connected);
      else connected();
    });
    request.on('response', (response) => {
      response.on('data', () => {});
      response.on('end', () => finish(response.statusCode ?? 'error'));
      response.on('close', () => finish('error'));
    });
    request.on('error', (error: NodeJS.ErrnoException) => finish(error.code === 'ECONNREFUSED' ? 'refused' : 'error'));
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    request.end(body);
  });
}
