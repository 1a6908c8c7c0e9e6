import type { AuthConfig, SignatureConfig } from './auth/authenticate.ts';
import { type CredentialConfig, type CredentialParser, parseLines, parseList } from './auth/credential-source.ts';
import { HMAC_ALGORITHMS, isHmac, PUBLIC_KEY_ALGORITHMS, type SignatureAlgorithm } from './auth/signature-algorithms.ts';
import { type ErasureConfig, readErasureConfig, requireSecureUrl, secretCacheSeconds } from './erasure/erasure-config.ts';
import { DEFAULT_INLINE_BUDGET_MS } from './erasure/erasure-limits.ts';
import { type Env, read, readBoolean, wholeNumber } from './env.ts';
import { ConfigurationError } from './errors.ts';

/** The webhook's settings: the erasure settings both functions share, its credentials, and what only a delivery uses. */
export interface WebhookConfig extends ErasureConfig {
  readonly auth: AuthConfig;
  /** How long a delivery erases inline before queueing the rest. */
  readonly inlineBudgetMs: number;
  /** Erase on the transactional event itself, before FusionAuth commits (a risk taken knowingly). */
  readonly eraseBeforeCommit: boolean;
}

/** The values WEBHOOK_AUTH takes. */
export const AUTH_MODES = ['api-key', 'signature', 'basic'] as const;

/** The webhook's settings, read once at start; a configuration that cannot work is refused here. */
export function readWebhookConfig(env: Env): WebhookConfig {
  return {
    ...readErasureConfig(env),
    auth: readAuthConfig(env),
    inlineBudgetMs: wholeNumber(env, 'DELETE_BUDGET_MS', DEFAULT_INLINE_BUDGET_MS, 'milliseconds'),
    eraseBeforeCommit: readBoolean(env, 'ERASE_BEFORE_COMMIT'),
  };
}

function readAuthConfig(env: Env): AuthConfig {
  const modes = parseList(read(env, 'WEBHOOK_AUTH') ?? 'api-key');
  for (const mode of modes) {
    if (!(AUTH_MODES as readonly string[]).includes(mode)) {
      throw new ConfigurationError(`WEBHOOK_AUTH lists "${mode}"; it takes ${AUTH_MODES.join(', ')}.`);
    }
  }
  if (modes.length === 0) throw new ConfigurationError(`WEBHOOK_AUTH lists no mode; it takes ${AUTH_MODES.join(', ')}.`);
  const cacheSeconds = secretCacheSeconds(env);
  const credentials = (variable: string, secretVariable: string, parse: CredentialParser) =>
    readCredentials(env, variable, secretVariable, parse, cacheSeconds);

  const apiKeyHeader = (read(env, 'WEBHOOK_API_KEY_HEADER') ?? 'Authorization').toLowerCase();
  if (modes.includes('api-key') && modes.includes('basic') && apiKeyHeader === 'authorization') {
    throw new ConfigurationError('api-key and basic both read the Authorization header: set WEBHOOK_API_KEY_HEADER to another header.');
  }
  return {
    apiKey: modes.includes('api-key')
      ? { header: apiKeyHeader, keys: required(credentials('WEBHOOK_API_KEYS', 'API_KEY_SECRET_ARN', parseList), 'api-key', 'WEBHOOK_API_KEYS or API_KEY_SECRET_ARN') }
      : undefined,
    basic: modes.includes('basic')
      ? required(basicCredentials(credentials('WEBHOOK_BASIC_AUTH', 'BASIC_AUTH_SECRET_ARN', parseLines)), 'basic', 'WEBHOOK_BASIC_AUTH or BASIC_AUTH_SECRET_ARN')
      : undefined,
    signature: modes.includes('signature') ? readSignatureConfig(env, credentials('WEBHOOK_SIGNING_KEYS', 'SIGNING_KEY_SECRET_ARN', parseList)) : undefined,
  };
}

/** The variable's values when set (local runs), else the secret's, else undefined. */
function readCredentials(
  env: Env,
  variable: string,
  secretVariable: string,
  parse: CredentialParser,
  maxAgeSeconds: number,
): CredentialConfig | undefined {
  const listed = read(env, variable);
  if (listed) {
    const values = parse(listed);
    if (values.length === 0) throw new ConfigurationError(`${variable} lists nothing.`);
    return { source: 'environment', values };
  }
  const secretId = read(env, secretVariable);
  return secretId ? { source: 'secret', secretId, maxAgeSeconds } : undefined;
}

function required(config: CredentialConfig | undefined, mode: string, sources: string): CredentialConfig {
  if (!config) throw new ConfigurationError(`WEBHOOK_AUTH requires ${mode}, but no credential is configured: set ${sources}.`);
  return config;
}

function basicCredentials(config: CredentialConfig | undefined): CredentialConfig | undefined {
  if (config?.source === 'environment' && !config.values.every((pair) => pair.indexOf(':') > 0)) {
    throw new ConfigurationError('WEBHOOK_BASIC_AUTH must hold user:password (one pair per line).');
  }
  return config;
}

function readSignatureConfig(env: Env, hmacSecrets: CredentialConfig | undefined): SignatureConfig {
  const jwksUrl = read(env, 'WEBHOOK_JWKS_URL');
  const jwksFile = read(env, 'WEBHOOK_JWKS_FILE');
  const publicKeys = Boolean(jwksUrl ?? jwksFile);
  if (!hmacSecrets && !publicKeys) {
    throw new ConfigurationError(
      'WEBHOOK_AUTH requires signature, but no key is configured: set WEBHOOK_SIGNING_KEYS or SIGNING_KEY_SECRET_ARN (HMAC), or WEBHOOK_JWKS_URL or WEBHOOK_JWKS_FILE (public keys).',
    );
  }
  if (jwksUrl) requireSecureUrl(jwksUrl, 'WEBHOOK_JWKS_URL');
  const listed = read(env, 'WEBHOOK_SIGNATURE_ALGORITHMS');
  // FusionAuth's defaults for new keys: HS256 for HMAC, RS256 for RSA.
  const algorithms = listed ? parseList(listed) : [...(hmacSecrets ? ['HS256'] : []), ...(publicKeys ? ['RS256'] : [])];
  if (algorithms.length === 0) throw new ConfigurationError('WEBHOOK_SIGNATURE_ALGORITHMS lists none: no signature could be verified.');
  const known: readonly string[] = [...HMAC_ALGORITHMS, ...PUBLIC_KEY_ALGORITHMS];
  for (const alg of algorithms) {
    if (!known.includes(alg)) throw new ConfigurationError(`WEBHOOK_SIGNATURE_ALGORITHMS lists "${alg}"; it takes ${known.join(', ')}.`);
    if (isHmac(alg) && !hmacSecrets) throw new ConfigurationError(`${alg} needs an HMAC secret: set WEBHOOK_SIGNING_KEYS or SIGNING_KEY_SECRET_ARN.`);
    if (!isHmac(alg) && !publicKeys) throw new ConfigurationError(`${alg} needs public keys: set WEBHOOK_JWKS_URL or WEBHOOK_JWKS_FILE.`);
  }
  return { algorithms: algorithms as SignatureAlgorithm[], hmacSecrets, jwksUrl, jwksFile };
}
