import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { SignJWT } from 'jose';
import type { AuthConfig } from '../../lambda/auth/authenticate.ts';
import { currentFromEnvironment } from '../../lambda/auth/credential-source.ts';
import { bodyDigest, isHmac, SIGNATURE_HEADER } from '../../lambda/auth/signature-algorithms.ts';

const EXAMPLES = new URL('../../examples/passport-events/', import.meta.url);

/** The example payloads in examples/passport-events, by path relative to it. */
export async function listExamples(): Promise<string[]> {
  const names = await readdir(EXAMPLES, { recursive: true });
  return names.filter((name) => name.endsWith('.json')).sort();
}

export interface SendResult {
  readonly status: number;
  readonly body: string;
}

/**
 * Posts an example event to the webhook as Passport would: a fresh event id and time, the user
 * id replaced when one is given, and every credential the configuration asks for.
 */
export async function sendExample(webhookUrl: string, auth: AuthConfig, name: string, userId?: string): Promise<SendResult> {
  const payload = JSON.parse(await readFile(new URL(name, EXAMPLES), 'utf8')) as { event: Record<string, unknown> };
  payload.event.id = randomUUID();
  payload.event.createInstant = Date.now();
  if (userId) payload.event.user = { ...(payload.event.user as object | undefined), id: userId };
  const body = JSON.stringify(payload);
  const response = await fetch(webhookUrl, { method: 'POST', body, headers: await credentials(auth, body) });
  return { status: response.status, body: await response.text() };
}

/**
 * What FusionAuth sends when it deletes a user: `user.delete` inside its transaction, and once
 * the webhook answered 2xx and the deletion is committed, `user.delete.complete`.
 */
export async function deleteUserAsFusionAuth(webhookUrl: string, auth: AuthConfig, userId: string): Promise<SendResult[]> {
  const announced = await sendExample(webhookUrl, auth, 'user.delete.json', userId);
  if (announced.status < 200 || announced.status > 299) return [announced];
  return [announced, await sendExample(webhookUrl, auth, 'user.delete.complete.json', userId)];
}

async function credentials(auth: AuthConfig, body: string): Promise<Record<string, string>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth.apiKey) {
    const key = currentFromEnvironment(auth.apiKey.keys);
    if (!key) throw new Error('the API key lives in a secret; set WEBHOOK_API_KEYS to send from here');
    headers[auth.apiKey.header] = key;
  }
  if (auth.basic) {
    const pair = currentFromEnvironment(auth.basic);
    if (!pair) throw new Error('the Basic credentials live in a secret; set WEBHOOK_BASIC_AUTH to send from here');
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  }
  if (auth.signature) {
    const secret = currentFromEnvironment(auth.signature.hmacSecrets);
    const alg = auth.signature.algorithms.find(isHmac);
    if (!secret || !alg) throw new Error('signing needs an HMAC key in WEBHOOK_SIGNING_KEYS and an HS algorithm to send from here');
    headers[SIGNATURE_HEADER] = await new SignJWT({ request_body_sha256: bodyDigest(body).toString('base64') })
      .setProtectedHeader({ alg, typ: 'JWT', kid: 'local-inspector' })
      .sign(new TextEncoder().encode(secret));
  }
  return headers;
}
