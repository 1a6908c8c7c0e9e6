import { createHash } from 'node:crypto';

/** The header FusionAuth (1.48 and later) signs each delivery in. */
export const SIGNATURE_HEADER = 'x-fusionauth-signature-jwt';

export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
export const PUBLIC_KEY_ALGORITHMS = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
] as const;
export type SignatureAlgorithm = (typeof HMAC_ALGORITHMS)[number] | (typeof PUBLIC_KEY_ALGORITHMS)[number];

export const isHmac = (alg: string): boolean => (HMAC_ALGORITHMS as readonly string[]).includes(alg);

/** The SHA-256 of the raw body, which FusionAuth's `request_body_sha256` claim carries in base64. */
export const bodyDigest = (body: string | Uint8Array): Buffer => createHash('sha256').update(body).digest();
