import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthConfig, createAuthenticator } from '../../../lambda/auth/authenticate.ts';
import { httpApiEvent, passportEvent } from '../../support/events.ts';
import { hmacKey, sign, signingKey } from '../../support/signing.ts';
import { startTestDynamoDb, type TestDynamoDb } from '../../support/dynamo.ts';
import { startLocalWebhook } from '../../support/local-webhook.ts';

let dynamo: TestDynamoDb;
beforeAll(async () => {
  dynamo = await startTestDynamoDb();
});
afterAll(() => dynamo.close());

const SECRET = 'hmac-secret-from-key-master';
const BODY = passportEvent({ type: 'test', id: 'e1' });
const env = (values: string[]) => ({ source: 'environment', values }) as const;
const basic = (pair: string) => `Basic ${Buffer.from(pair).toString('base64')}`;

const statusOf = async (auth: AuthConfig, headers: Record<string, string>, body = BODY, isBase64Encoded = false) => {
  const webhook = await startLocalWebhook({ dynamo, authenticator: createAuthenticator(auth) });
  try {
    return (await webhook.handler(httpApiEvent({ body, headers, isBase64Encoded }))).statusCode;
  } finally {
    await webhook.close();
  }
};

describe('Basic credentials', () => {
  const auth: AuthConfig = { basic: env(['passport:s3cret', 'passport:next-s3cret']) };

  it('accepts each configured pair', async () => {
    expect(await statusOf(auth, { authorization: basic('passport:s3cret') })).toBe(200);
    expect(await statusOf(auth, { authorization: basic('passport:next-s3cret') })).toBe(200);
  });

  it.each([
    basic('passport:wrong'),
    basic('other:s3cret'),
    basic('passport:s3cret '),
    'passport:s3cret',
    `Bearer ${Buffer.from('passport:s3cret').toString('base64')}`,
  ])('refuses %j', async (authorization) => {
    expect(await statusOf(auth, { authorization })).toBe(401);
  });
});

describe('several modes at once', () => {
  const auth: AuthConfig = {
    apiKey: { header: 'x-api-key', keys: env(['the-key']) },
    basic: env(['passport:s3cret']),
    signature: { algorithms: ['HS256'] },
  };
  const signed = { hmacSecrets: env([SECRET]) };

  it('needs every one of them', async () => {
    const full = { ...auth, signature: { ...auth.signature!, ...signed } };
    const token = await sign(BODY, hmacKey(SECRET), { alg: 'HS256', kid: 'k' });
    const headers: Record<string, string> = { 'x-api-key': 'the-key', authorization: basic('passport:s3cret'), 'x-fusionauth-signature-jwt': token };
    expect(await statusOf(full, headers)).toBe(200);
    for (const missing of Object.keys(headers)) {
      const rest = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== missing));
      expect(await statusOf(full, rest), `without ${missing}`).toBe(401);
    }
  });
});

describe('signed deliveries', () => {
  const auth: AuthConfig = { signature: { algorithms: ['HS256'], hmacSecrets: env([SECRET]) } };

  it('verifies the raw bytes of a base64-encoded body', async () => {
    const token = await sign(BODY, hmacKey(SECRET), { alg: 'HS256', kid: 'k' });
    expect(await statusOf(auth, { 'x-fusionauth-signature-jwt': token }, Buffer.from(BODY).toString('base64'), true)).toBe(200);
  });

  it('verifies before parsing: a signed body that is not JSON is 400, an unsigned one 401', async () => {
    const token = await sign('not json', hmacKey(SECRET), { alg: 'HS256', kid: 'k' });
    expect(await statusOf(auth, { 'x-fusionauth-signature-jwt': token }, 'not json')).toBe(400);
    expect(await statusOf(auth, {}, 'not json')).toBe(401);
  });

  it('refuses a body other than the one signed, even re-serialised', async () => {
    const token = await sign(BODY, hmacKey(SECRET), { alg: 'HS256', kid: 'k' });
    const reserialised = JSON.stringify(JSON.parse(BODY), null, 1);
    expect(await statusOf(auth, { 'x-fusionauth-signature-jwt': token }, reserialised)).toBe(401);
  });

  it('takes public keys from a local JWKS file', async () => {
    const key = await signingKey('ES256', 'ec-local');
    const file = join(mkdtempSync(join(tmpdir(), 'jwks-')), 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [key.jwk] }));
    const fromFile: AuthConfig = { signature: { algorithms: ['ES256'], jwksFile: file } };
    expect(await statusOf(fromFile, { 'x-fusionauth-signature-jwt': await sign(BODY, key.privateKey, key) })).toBe(200);
    expect(await statusOf(fromFile, { 'x-fusionauth-signature-jwt': await sign(BODY, hmacKey(SECRET), { alg: 'HS256', kid: 'ec-local' }) })).toBe(401);
  });
});
