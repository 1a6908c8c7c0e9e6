import { Duration } from 'aws-cdk-lib';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { checkSecureUrl } from './secure-url.ts';

// These lists repeat the runtime's (lambda/config.ts, lambda/auth/signature.ts) rather than import
// them: the runtime modules load jose and Powertools, which the CDK app has no use for. A test
// keeps the two in step.

/** The checks a request can be put through (WEBHOOK_AUTH). */
export const WEBHOOK_AUTH_MODES = ['api-key', 'signature', 'basic'] as const;
export type WebhookAuthMode = (typeof WEBHOOK_AUTH_MODES)[number];

/** Signed with a secret both sides hold: a FusionAuth Key Master HMAC key. */
export const HMAC_SIGNATURE_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
/** Signed with a private key FusionAuth keeps; verified with its public key from the JWKS. */
export const PUBLIC_KEY_SIGNATURE_ALGORITHMS = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
] as const;
export type WebhookSignatureAlgorithm =
  | (typeof HMAC_SIGNATURE_ALGORITHMS)[number]
  | (typeof PUBLIC_KEY_SIGNATURE_ALGORITHMS)[number];

export interface WebhookSignatureProps {
  /**
   * An existing secret whose SecretString is the secret of a FusionAuth Key Master HMAC key, as
   * Key Master shows it, or several comma-separated while one replaces another.
   * @default - a new secret with a generated 64-character value, when an HMAC algorithm is accepted
   */
  readonly hmacSecret?: ISecret;
  /**
   * FusionAuth's JSON Web Key Set, `https://<FusionAuth host>/.well-known/jwks.json`, for keys
   * FusionAuth signs with a private key (RSA, EC, EdDSA). The function fetches it over HTTPS
   * (plain HTTP only to localhost).
   * @default - no public keys: HMAC only
   */
  readonly jwksUrl?: string;
  /**
   * The algorithms a signature may use; a token signed with any other is refused.
   * @default - `HS256` for HMAC, `RS256` with `jwksUrl` (FusionAuth's defaults for new keys)
   */
  readonly algorithms?: readonly WebhookSignatureAlgorithm[];
}

/**
 * How Passport proves a request is its own. An existing secret given here is granted by its ARN:
 * import one with `Secret.fromSecretCompleteArn` (a partial ARN, without Secrets Manager's six-character
 * suffix, matches no policy), or pass a secret of the same app.
 */
export interface WebhookAuthProps {
  /**
   * What each request must carry; all the modes listed must pass. `signature` with `api-key` is
   * what SECURITY.md recommends for a webhook that deletes data.
   * @default ['api-key']
   */
  readonly modes?: readonly WebhookAuthMode[];
  /**
   * The header Passport sends the API key in. With `basic` on too it must be another header than
   * `Authorization`, which then carries the Basic credentials.
   * @default 'Authorization'
   */
  readonly apiKeyHeader?: string;
  /**
   * An existing secret whose SecretString is the API key, or several comma-separated while one
   * replaces another (the first is the current one).
   * @default - a new secret with a generated 48-character key, when `api-key` is on
   */
  readonly apiKeySecret?: ISecret;
  /**
   * How signatures are checked, when `signature` is on.
   * @default - HMAC with `HS256` and a generated secret, when `signature` is on
   */
  readonly signature?: WebhookSignatureProps;
  /**
   * The secret whose SecretString is the Basic credentials, `user:password`, one pair per line.
   * Required with `basic`: Secrets Manager generates a bare password or a JSON document, never a
   * `user:password` line, and the user name is one you choose in Passport anyway.
   * @default - none; `basic` cannot be on without it
   */
  readonly basicAuthSecret?: ISecret;
  /**
   * How long a container keeps a secret's value before reading it again, in whole seconds and at
   * least one: how long a rotation waits before Passport may switch to the new credential. The
   * worker keeps FusionAuth's API key as long.
   * @default Duration.minutes(5)
   */
  readonly secretMaxAge?: Duration;
}

/** The auth props, checked and with their defaults applied. */
export interface ResolvedAuth {
  readonly modes: readonly WebhookAuthMode[];
  /** Present when `api-key` is on; without a secret, one is generated. */
  readonly apiKey?: { readonly header: string; readonly secret?: ISecret };
  readonly signature?: ResolvedSignature;
  readonly basicAuthSecret?: ISecret;
  /** SECRET_CACHE_SECONDS. */
  readonly secretMaxAgeSeconds: number;
}

export interface ResolvedSignature {
  readonly algorithms: readonly WebhookSignatureAlgorithm[];
  /** Whether an HMAC algorithm is accepted, and so an HMAC secret needed (generated when not given). */
  readonly hmac: boolean;
  readonly hmacSecret?: ISecret;
  readonly jwksUrl?: string;
}

const AUTHORIZATION = 'authorization';
/** An HTTP field name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const isHmac = (algorithm: string): boolean => (HMAC_SIGNATURE_ALGORITHMS as readonly string[]).includes(algorithm);
const isKnownAlgorithm = (algorithm: string): boolean =>
  isHmac(algorithm) || (PUBLIC_KEY_SIGNATURE_ALGORITHMS as readonly string[]).includes(algorithm);

const invalid = (message: string) => new Error(`PassportWebhook auth: ${message}`);

/**
 * The auth props checked at synth time against the rules the function applies at start
 * (lambda/config.ts), so a configuration that cannot work fails `cdk synth` instead of every
 * delivery. Settings for a mode that is off are refused too: they would deploy a secret, or grant
 * one, that nothing reads.
 */
export function resolveAuth(props: WebhookAuthProps): ResolvedAuth {
  const modes = resolveModes(props.modes ?? ['api-key']);
  const on = (mode: WebhookAuthMode) => modes.includes(mode);
  const unused = (setting: string, mode: WebhookAuthMode) =>
    invalid(`${setting} is set, but modes does not include '${mode}'; add the mode or remove the setting.`);
  if (!on('api-key') && props.apiKeyHeader !== undefined) throw unused('apiKeyHeader', 'api-key');
  if (!on('api-key') && props.apiKeySecret) throw unused('apiKeySecret', 'api-key');
  if (!on('signature') && props.signature) throw unused('signature', 'signature');
  if (!on('basic') && props.basicAuthSecret) throw unused('basicAuthSecret', 'basic');

  const apiKeyHeader = props.apiKeyHeader ?? 'Authorization';
  if (on('api-key')) {
    if (!HEADER_NAME.test(apiKeyHeader)) throw invalid(`apiKeyHeader "${apiKeyHeader}" is not an HTTP header name.`);
    if (on('basic') && apiKeyHeader.toLowerCase() === AUTHORIZATION) {
      throw invalid("'api-key' and 'basic' both read the Authorization header: set apiKeyHeader to another header, e.g. X-API-Key.");
    }
  }
  if (on('basic') && !props.basicAuthSecret) {
    throw invalid(
      "'basic' needs basicAuthSecret, an existing secret whose value is user:password; Secrets Manager cannot generate that form.",
    );
  }
  return {
    modes,
    apiKey: on('api-key') ? { header: apiKeyHeader, secret: props.apiKeySecret } : undefined,
    signature: on('signature') ? resolveSignature(props.signature ?? {}) : undefined,
    basicAuthSecret: props.basicAuthSecret,
    secretMaxAgeSeconds: resolveSecretMaxAge(props.secretMaxAge ?? Duration.minutes(5)),
  };
}

/** SECRET_CACHE_SECONDS: whole seconds, and at least one, or every request would read the secret. */
function resolveSecretMaxAge(maxAge: Duration): number {
  const seconds = maxAge.toSeconds({ integral: false });
  if (!Number.isInteger(seconds) || seconds < 1) {
    throw invalid(`secretMaxAge must be a whole number of seconds, at least 1; got ${maxAge.toHumanString()}.`);
  }
  return seconds;
}

function resolveModes(listed: readonly string[]): readonly WebhookAuthMode[] {
  if (listed.length === 0) throw invalid(`modes lists none; it takes ${WEBHOOK_AUTH_MODES.join(', ')}.`);
  for (const mode of listed) {
    if (!(WEBHOOK_AUTH_MODES as readonly string[]).includes(mode)) {
      throw invalid(`modes lists "${mode}"; it takes ${WEBHOOK_AUTH_MODES.join(', ')}.`);
    }
  }
  return [...new Set(listed as readonly WebhookAuthMode[])];
}

function resolveSignature(props: WebhookSignatureProps): ResolvedSignature {
  const { hmacSecret, jwksUrl } = props;
  if (jwksUrl !== undefined) checkSecureUrl(jwksUrl, 'auth.signature.jwksUrl', 'https://auth.example.com/.well-known/jwks.json');
  // As the function defaults them: HS256 for a secret, RS256 for public keys; with neither given,
  // HMAC with a generated secret, which FusionAuth's Key Master can import.
  const defaults: WebhookSignatureAlgorithm[] = [];
  if (hmacSecret !== undefined || jwksUrl === undefined) defaults.push('HS256');
  if (jwksUrl !== undefined) defaults.push('RS256');
  const algorithms = [...new Set(props.algorithms ?? defaults)];
  if (algorithms.length === 0) throw invalid('signature.algorithms lists none.');
  for (const algorithm of algorithms) {
    if (!isKnownAlgorithm(algorithm)) {
      throw invalid(
        `signature.algorithms lists "${algorithm}"; it takes ${[...HMAC_SIGNATURE_ALGORITHMS, ...PUBLIC_KEY_SIGNATURE_ALGORITHMS].join(', ')}.`,
      );
    }
    if (!isHmac(algorithm) && jwksUrl === undefined) {
      throw invalid(`signature.algorithms lists ${algorithm}, which needs public keys: set signature.jwksUrl.`);
    }
  }
  const hmac = algorithms.some(isHmac);
  if (hmacSecret && !hmac) throw invalid('signature.hmacSecret is set, but signature.algorithms lists no HMAC algorithm (HS256, HS384, HS512).');
  if (jwksUrl !== undefined && algorithms.every(isHmac)) {
    throw invalid('signature.jwksUrl is set, but signature.algorithms lists only HMAC algorithms, which never read it.');
  }
  return { algorithms, hmac, hmacSecret, jwksUrl };
}
