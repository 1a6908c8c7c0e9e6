import { readFileSync } from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { NotAuthorizedError } from '../errors.ts';
import { singleHeader, type WebhookRequest } from '../http/request.ts';
import { basicCredentials } from './basic.ts';
import { equalsOneOf } from './constant-time.ts';
import { type CredentialConfig, type CredentialSource, credentialSource, parseLines, parseList } from './credential-source.ts';
import { SIGNATURE_HEADER, type SignatureAlgorithm, type SignatureKeys, verifySignature } from './signature.ts';

/** The credentials a request must carry: every one configured must pass. */
export interface AuthConfig {
  readonly apiKey?: {
    /** `authorization` unless Basic needs that header. */
    readonly header: string;
    readonly keys: CredentialConfig;
  };
  readonly basic?: CredentialConfig;
  readonly signature?: SignatureConfig;
}

export interface SignatureConfig {
  readonly algorithms: readonly SignatureAlgorithm[];
  readonly hmacSecrets?: CredentialConfig;
  readonly jwksUrl?: string;
  readonly jwksFile?: string;
}

/** The request's credentials, in two steps so that a body is never read for an unauthenticated caller. */
export interface Authenticator {
  /** API key and Basic credentials. */
  checkHeaders(request: WebhookRequest): Promise<void>;
  /** The signature over the raw body. */
  checkBody(request: WebhookRequest, body: Uint8Array): Promise<void>;
}

// jose refetches an unknown `kid` only after the cooldown: at most once a minute per container.
const JWKS_OPTIONS = { cooldownDuration: 60_000, cacheMaxAge: 10 * 60_000, timeoutDuration: 2_000 };

/** Builds the checks `config` asks for, with their key sources; called once per container. */
export function createAuthenticator(config: AuthConfig): Authenticator {
  const apiKey = config.apiKey && { header: config.apiKey.header, keys: credentialSource(config.apiKey.keys, parseList, 'API key') };
  const basic = config.basic && credentialSource(config.basic, parseLines, 'Basic credentials');
  const signature = config.signature && signatureKeys(config.signature);
  return {
    async checkHeaders(request) {
      if (apiKey) await requireOneOf(singleHeader(request, apiKey.header), apiKey.keys);
      if (basic) await requireOneOf(basicCredentials(singleHeader(request, 'authorization')), basic);
    },
    async checkBody(request, body) {
      if (signature) await verifySignature(singleHeader(request, SIGNATURE_HEADER), body, signature);
    },
  };
}

/** No credential at all is refused without loading the expected ones. */
async function requireOneOf(presented: string | undefined, expected: CredentialSource): Promise<void> {
  if (!presented || !equalsOneOf(presented, await expected.list())) throw new NotAuthorizedError();
}

function signatureKeys(config: SignatureConfig): SignatureKeys {
  let publicKeys: JWTVerifyGetKey | undefined;
  if (config.jwksUrl) publicKeys = createRemoteJWKSet(new URL(config.jwksUrl), JWKS_OPTIONS);
  else if (config.jwksFile) publicKeys = createLocalJWKSet(JSON.parse(readFileSync(config.jwksFile, 'utf8')));
  return {
    algorithms: config.algorithms,
    hmacSecrets: config.hmacSecrets && credentialSource(config.hmacSecrets, parseList, 'signing key'),
    publicKeys,
  };
}
