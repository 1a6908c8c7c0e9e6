import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bodyDigest } from '../../lambda/auth/signature-algorithms.ts';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

/** What FusionAuth puts in `request_body_sha256`: the padded base64 of the body's SHA-256. */
export const bodySha256 = (body: string | Uint8Array): string => bodyDigest(body).toString('base64');

export interface SignOptions {
  alg: string;
  kid?: string;
  /** Claims to send instead of the body's hash. */
  claims?: Record<string, unknown>;
}

/** Signs `body` as FusionAuth does: a JWS of `{request_body_sha256}`, keyed by `kid`. */
export async function sign(body: string | Uint8Array, key: CryptoKey | Uint8Array, { alg, kid, claims }: SignOptions): Promise<string> {
  return new SignJWT(claims ?? { request_body_sha256: bodySha256(body) })
    .setProtectedHeader({ alg, typ: 'JWT', ...(kid !== undefined && { kid }) })
    .sign(key);
}

export const hmacKey = (secret: string): Uint8Array => new TextEncoder().encode(secret);

export interface SigningKey {
  readonly alg: string;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

export async function signingKey(alg: string, kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export interface FakeJwksEndpoint {
  readonly url: string;
  /** The keys served now; change to simulate FusionAuth adding or removing one. */
  keys: JWK[];
  /** How many times the set was fetched. */
  readonly fetches: () => number;
  close(): Promise<void>;
}

/** FusionAuth's `/.well-known/jwks.json`, served over real HTTP. */
export async function startJwksEndpoint(keys: JWK[]): Promise<FakeJwksEndpoint> {
  let fetches = 0;
  const endpoint = { keys } as FakeJwksEndpoint & { keys: JWK[] };
  const server = createServer((_request, response) => {
    fetches += 1;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys: endpoint.keys }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return Object.assign(endpoint, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    fetches: () => fetches,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
