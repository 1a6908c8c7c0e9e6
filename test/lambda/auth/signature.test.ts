import { base64url, createLocalJWKSet } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { credentialSource, parseList } from '../../../lambda/auth/credential-source.ts';
import { type SignatureKeys, signatureKeys, verifySignature } from '../../../lambda/auth/signature.ts';
import { CredentialsUnavailableError, NotAuthorizedError } from '../../../lambda/errors.ts';
import { type FakeJwksEndpoint, hmacKey, type SigningKey, sign, signingKey, startJwksEndpoint } from '../../support/signing.ts';

const BODY = Buffer.from('{"event":{"type":"user.delete","user":{"id":"u1"}}}');
const SECRET = 'Qm9vdHN0cmFwIEhNQUMga2V5IGZyb20gS2V5IE1hc3Rlcg==';
const hmacSecrets = (...values: string[]) => credentialSource({ source: 'environment', values }, parseList, 'signing key');

const expectRefused = (promise: Promise<void>) => expect(promise).rejects.toBeInstanceOf(NotAuthorizedError);

describe('HMAC signatures', () => {
  const keys: SignatureKeys = { algorithms: ['HS256', 'HS512'], hmacSecrets: hmacSecrets('old-secret', SECRET) };

  it.each(['HS256', 'HS512'])('accepts %s over the exact body, with any configured secret', async (alg) => {
    await expect(verifySignature(await sign(BODY, hmacKey(SECRET), { alg, kid: 'k1' }), BODY, keys)).resolves.toBeUndefined();
    await expect(verifySignature(await sign(BODY, hmacKey('old-secret'), { alg, kid: 'k0' }), BODY, keys)).resolves.toBeUndefined();
  });

  it('refuses an algorithm that is not pinned', async () => {
    await expectRefused(verifySignature(await sign(BODY, hmacKey(SECRET), { alg: 'HS384', kid: 'k1' }), BODY, keys));
  });

  it('refuses another secret', async () => {
    await expectRefused(verifySignature(await sign(BODY, hmacKey('guessed'), { alg: 'HS256', kid: 'k1' }), BODY, keys));
  });

  it('refuses a body changed by one byte', async () => {
    const token = await sign(BODY, hmacKey(SECRET), { alg: 'HS256', kid: 'k1' });
    const changed = Buffer.from(BODY);
    const at = changed.length - 3;
    changed.writeUInt8(changed.readUInt8(at) ^ 1, at);
    await expectRefused(verifySignature(token, changed, keys));
  });

  it('refuses the signature of another body', async () => {
    await expectRefused(verifySignature(await sign('{"event":{"type":"test"}}', hmacKey(SECRET), { alg: 'HS256', kid: 'k1' }), BODY, keys));
  });

  it.each([
    ['no claim', {}],
    ['a hex digest', { request_body_sha256: 'ab'.repeat(32) }],
    ['a number', { request_body_sha256: 42 }],
    ['a short digest', { request_body_sha256: 'AAAA' }],
  ])('refuses a token with %s', async (_, claims) => {
    await expectRefused(verifySignature(await sign(BODY, hmacKey(SECRET), { alg: 'HS256', kid: 'k1', claims }), BODY, keys));
  });

  it('refuses a token without a kid', async () => {
    await expectRefused(verifySignature(await sign(BODY, hmacKey(SECRET), { alg: 'HS256' }), BODY, keys));
  });

  it('refuses alg none', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT', kid: 'k1' }));
    const payload = base64url.encode(JSON.stringify({ request_body_sha256: 'x' }));
    await expectRefused(verifySignature(`${header}.${payload}.`, BODY, { ...keys, algorithms: ['HS256'] }));
  });

  it.each([undefined, '', 'not-a-jwt', 'a.b.c', '..', 'eyJhbGciOiJIUzI1NiJ9..'])('refuses %j', async (token) => {
    await expectRefused(verifySignature(token, BODY, keys));
  });
});

describe('public-key signatures', () => {
  let rsa: SigningKey;
  let ec: SigningKey;
  let ed: SigningKey;
  let other: SigningKey;

  beforeAll(async () => {
    [rsa, ec, ed, other] = await Promise.all([
      signingKey('RS256', 'rsa-1'),
      signingKey('ES256', 'ec-1'),
      signingKey('EdDSA', 'ed-1'),
      signingKey('RS256', 'rsa-unpublished'),
    ]);
  });

  const local = (): SignatureKeys => ({
    algorithms: ['RS256', 'ES256', 'EdDSA'],
    publicKeys: createLocalJWKSet({ keys: [rsa.jwk, ec.jwk, ed.jwk] }),
  });

  it('accepts RSA, EC and EdDSA keys chosen by kid', async () => {
    for (const key of [rsa, ec, ed]) {
      await expect(verifySignature(await sign(BODY, key.privateKey, key), BODY, local())).resolves.toBeUndefined();
    }
  });

  it('refuses an unknown kid, a missing kid, and a kid naming another key', async () => {
    await expectRefused(verifySignature(await sign(BODY, other.privateKey, other), BODY, local()));
    await expectRefused(verifySignature(await sign(BODY, rsa.privateKey, { alg: 'RS256' }), BODY, local()));
    await expectRefused(verifySignature(await sign(BODY, other.privateKey, { alg: 'RS256', kid: 'rsa-1' }), BODY, local()));
  });

  it('refuses an HS token made with the public key as its secret', async () => {
    const publicAsSecret = new TextEncoder().encode(JSON.stringify(rsa.jwk));
    const token = await sign(BODY, publicAsSecret, { alg: 'HS256', kid: 'rsa-1' });
    await expectRefused(verifySignature(token, BODY, { ...local(), algorithms: ['RS256', 'HS256'] }));
    await expectRefused(verifySignature(token, BODY, local()));
  });

  describe('from FusionAuth JWKS URL', () => {
    let jwks: FakeJwksEndpoint;
    beforeAll(async () => {
      jwks = await startJwksEndpoint([rsa.jwk]);
    });
    afterAll(() => jwks.close());

    it('caches the set and refetches for an unknown kid at most once a minute', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        // The keys as the function builds them from its configuration: its own JWKS options.
        const keys = signatureKeys({ algorithms: ['RS256', 'ES256'], jwksUrl: jwks.url });
        await verifySignature(await sign(BODY, rsa.privateKey, rsa), BODY, keys);
        await verifySignature(await sign(BODY, rsa.privateKey, rsa), BODY, keys);
        expect(jwks.fetches()).toBe(1);

        // FusionAuth gains a key: within the minute an unknown kid is refused without a fetch.
        jwks.keys = [rsa.jwk, ec.jwk];
        await expectRefused(verifySignature(await sign(BODY, ec.privateKey, ec), BODY, keys));
        expect(jwks.fetches()).toBe(1);

        vi.setSystemTime(Date.now() + 61_000);
        await expect(verifySignature(await sign(BODY, ec.privateKey, ec), BODY, keys)).resolves.toBeUndefined();
        expect(jwks.fetches()).toBe(2);
        // A forged kid does not make it fetch again within the minute.
        await expectRefused(verifySignature(await sign(BODY, other.privateKey, { alg: 'RS256', kid: 'forged' }), BODY, keys));
        expect(jwks.fetches()).toBe(2);
      } finally {
        vi.useRealTimers();
      }
    });

    it('answers 500, not 401, when the JWKS cannot be fetched', async () => {
      const keys = signatureKeys({ algorithms: ['RS256'], jwksUrl: 'http://127.0.0.1:9/jwks.json' });
      await expect(verifySignature(await sign(BODY, rsa.privateKey, rsa), BODY, keys)).rejects.toBeInstanceOf(CredentialsUnavailableError);
    });
  });
});
