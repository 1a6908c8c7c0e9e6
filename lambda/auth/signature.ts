import { readFileSync } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { CredentialsUnavailableError, NotAuthorizedError } from '../errors.ts';
import type { SignatureConfig } from './authenticate.ts';
import { type CredentialSource, credentialSource, parseList } from './credential-source.ts';
import { bodyDigest, isHmac, type SignatureAlgorithm } from './signature-algorithms.ts';

// jose refetches an unknown `kid` only after the cooldown: at most once a minute per container.
const JWKS_OPTIONS = { cooldownDuration: 60_000, cacheMaxAge: 10 * 60_000, timeoutDuration: 2_000 };

/** The keys `config` names, with their sources; built once per container, on the first signed delivery. */
export function signatureKeys(config: SignatureConfig): SignatureKeys {
  let publicKeys: JWTVerifyGetKey | undefined;
  if (config.jwksUrl) publicKeys = createRemoteJWKSet(new URL(config.jwksUrl), JWKS_OPTIONS);
  else if (config.jwksFile) publicKeys = createLocalJWKSet(JSON.parse(readFileSync(config.jwksFile, 'utf8')));
  return {
    algorithms: config.algorithms,
    hmacSecrets: config.hmacSecrets && credentialSource(config.hmacSecrets, parseList, 'signing key'),
    publicKeys,
  };
}

export interface SignatureKeys {
  /** Pinned by configuration: a token signed with any other algorithm is refused, `none` above all. */
  readonly algorithms: readonly SignatureAlgorithm[];
  /** HMAC secrets as FusionAuth's Key Master shows them; each is used as its UTF-8 bytes. */
  readonly hmacSecrets?: CredentialSource;
  /** RSA, EC and EdDSA public keys, chosen by `kid` (jose's remote or local JWKS). */
  readonly publicKeys?: JWTVerifyGetKey;
}

const utf8 = new TextEncoder();

/**
 * Verifies FusionAuth's signature JWT over the raw body: a JWS whose `request_body_sha256` claim
 * is the padded base64 of the body's SHA-256. Throws NotAuthorizedError for any token that does
 * not prove the body, and CredentialsUnavailableError when the keys cannot be had.
 */
export async function verifySignature(token: string | undefined, body: Uint8Array, keys: SignatureKeys): Promise<void> {
  if (!token) throw new NotAuthorizedError();
  let alg: string | undefined;
  let kid: string | undefined;
  try {
    ({ alg, kid } = decodeProtectedHeader(token));
  } catch {
    throw new NotAuthorizedError();
  }
  // FusionAuth always names its key; a token without one could be checked against a key it was not meant for.
  if (!kid || !alg || !(keys.algorithms as readonly string[]).includes(alg)) throw new NotAuthorizedError();
  const payload = isHmac(alg) ? await verifyWithSecrets(token, alg, keys.hmacSecrets) : await verifyWithPublicKeys(token, alg, keys.publicKeys);
  const claimed = typeof payload.request_body_sha256 === 'string' ? Buffer.from(payload.request_body_sha256, 'base64') : undefined;
  const actual = bodyDigest(body);
  if (!claimed || claimed.length !== actual.length || !timingSafeEqual(claimed, actual)) throw new NotAuthorizedError();
}

async function verifyWithSecrets(token: string, alg: string, secrets: CredentialSource | undefined): Promise<JWTPayload> {
  if (!secrets) throw new NotAuthorizedError();
  // An HMAC secret carries no kid of its own here: each configured one is tried, so two can overlap in a rotation.
  for (const secret of await secrets.list()) {
    try {
      return (await jwtVerify(token, utf8.encode(secret), { algorithms: [alg] })).payload;
    } catch (error) {
      if (!isRefusal(error)) throw error;
    }
  }
  throw new NotAuthorizedError();
}

async function verifyWithPublicKeys(token: string, alg: string, publicKeys: JWTVerifyGetKey | undefined): Promise<JWTPayload> {
  if (!publicKeys) throw new NotAuthorizedError();
  try {
    return (await jwtVerify(token, publicKeys, { algorithms: [alg] })).payload;
  } catch (error) {
    if (isRefusal(error)) throw new NotAuthorizedError();
    throw new CredentialsUnavailableError('the JWKS could not be fetched or read', { cause: error });
  }
}

/** A verdict on the token, as opposed to a failure to get the keys to judge it with. */
const isRefusal = (error: unknown): boolean =>
  error instanceof errors.JOSEError &&
  !(error instanceof errors.JWKSTimeout) &&
  !(error instanceof errors.JWKSInvalid) &&
  error.code !== 'ERR_JOSE_GENERIC';
