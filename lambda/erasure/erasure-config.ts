import { type CredentialConfig, parseList } from '../auth/credential-source.ts';
import { type Env, read, wholeNumber } from '../env.ts';
import { ConfigurationError } from '../errors.ts';
import { readTargetsConfig, type TargetsConfig } from '../targets/target-spec.ts';
import type { ErasureSettings } from './erasure-service.ts';
import {
  DEFAULT_CONFIRM_DELAY_SECONDS,
  DEFAULT_CONFIRM_WINDOW_SECONDS,
  DEFAULT_INDEX_SETTLE_MS,
  DEFAULT_RETENTION_DAYS,
  DEFAULT_SECRET_CACHE_SECONDS,
  isSecureUrl,
  MAX_CONFIRM_WINDOW_SECONDS,
  MAX_DELAY_SECONDS,
} from './erasure-limits.ts';

/** FusionAuth's API, for confirming a deletion without its `.complete` event. */
export interface FusionAuthApiConfig {
  readonly url: string;
  readonly apiKey: CredentialConfig;
}

/** What both the webhook and the worker need to erase. */
export interface ErasureConfig {
  readonly targets: TargetsConfig;
  readonly ledgerTableName: string;
  /** The worker's queue; absent, requests are recorded but never looked at again (sam local, some tests). */
  readonly queueUrl: string | undefined;
  readonly deadLetterQueueUrl: string | undefined;
  readonly indexSettleMs: number;
  readonly fusionAuth: FusionAuthApiConfig | undefined;
  readonly settings: Omit<ErasureSettings, 'confirmThroughApi'>;
}


/** Read once at start; a setting that cannot work is refused here, with what to set. */
export function readErasureConfig(env: Env): ErasureConfig {
  const targets = readTargetsConfig(env);
  const ledgerTableName = read(env, 'ERASURE_LEDGER_TABLE_NAME');
  if (!ledgerTableName) {
    throw new ConfigurationError('ERASURE_LEDGER_TABLE_NAME is not set: name the table of erasure receipts (the construct creates it).');
  }
  for (const retired of ['IDEMPOTENCY_TABLE_NAME', 'IDEMPOTENCY_WINDOW_SECONDS']) {
    if (read(env, retired)) throw new ConfigurationError(`${retired} is no longer read: the erasure ledger dedupes each event by its id. Unset it.`);
  }
  const windowSeconds = wholeNumber(env, 'ERASURE_CONFIRM_WINDOW_SECONDS', DEFAULT_CONFIRM_WINDOW_SECONDS);
  if (windowSeconds < 1 || windowSeconds > MAX_CONFIRM_WINDOW_SECONDS) {
    throw new ConfigurationError(`ERASURE_CONFIRM_WINDOW_SECONDS must be from 1 to ${MAX_CONFIRM_WINDOW_SECONDS} seconds.`);
  }
  const confirmDelaySeconds = wholeNumber(env, 'ERASURE_CONFIRM_DELAY_SECONDS', DEFAULT_CONFIRM_DELAY_SECONDS);
  if (confirmDelaySeconds > MAX_DELAY_SECONDS) throw new ConfigurationError(`ERASURE_CONFIRM_DELAY_SECONDS must be at most ${MAX_DELAY_SECONDS}.`);
  const retentionDays = wholeNumber(env, 'ERASURE_RETENTION_DAYS', DEFAULT_RETENTION_DAYS, 'days');
  if (retentionDays < 1) throw new ConfigurationError('ERASURE_RETENTION_DAYS must be at least 1.');
  const secondPassSeconds = read(env, 'ERASURE_SECOND_PASS_SECONDS') === undefined ? 'when-indexed' : wholeNumber(env, 'ERASURE_SECOND_PASS_SECONDS', 0);
  if (typeof secondPassSeconds === 'number' && secondPassSeconds > MAX_DELAY_SECONDS) {
    throw new ConfigurationError(`ERASURE_SECOND_PASS_SECONDS must be at most ${MAX_DELAY_SECONDS} (0: no second pass).`);
  }
  return {
    targets,
    ledgerTableName,
    queueUrl: read(env, 'DELETION_QUEUE_URL'),
    deadLetterQueueUrl: read(env, 'DEAD_LETTER_QUEUE_URL'),
    indexSettleMs: wholeNumber(env, 'INDEX_SETTLE_MS', DEFAULT_INDEX_SETTLE_MS, 'milliseconds'),
    fusionAuth: readFusionAuthApi(env),
    settings: {
      secondPassSeconds,
      confirmDelaySeconds,
      windowSeconds,
      retentionSeconds: retentionDays * 24 * 3600,
      todoApplicationId: read(env, 'TODO_APPLICATION_ID'),
    },
  };
}

function readFusionAuthApi(env: Env): FusionAuthApiConfig | undefined {
  const url = read(env, 'FUSIONAUTH_URL');
  const listed = read(env, 'FUSIONAUTH_API_KEY');
  const secretId = read(env, 'FUSIONAUTH_API_KEY_SECRET_ARN');
  if (!url) {
    if (listed || secretId) throw new ConfigurationError('A FusionAuth API key is set, but FUSIONAUTH_URL is not: set the URL too, or neither.');
    return undefined;
  }
  requireSecureUrl(url, 'FUSIONAUTH_URL');
  if (!listed && !secretId) {
    throw new ConfigurationError('FUSIONAUTH_URL is set without a key: set FUSIONAUTH_API_KEY or FUSIONAUTH_API_KEY_SECRET_ARN (a key allowed GET on /api/user).');
  }
  const keys = listed ? parseList(listed) : [];
  if (listed && keys.length === 0) throw new ConfigurationError('FUSIONAUTH_API_KEY lists nothing.');
  const apiKey: CredentialConfig = listed
    ? { source: 'environment', values: keys }
    : { source: 'secret', secretId: secretId!, maxAgeSeconds: secretCacheSeconds(env) };
  return { url, apiKey };
}

/** SECRET_CACHE_SECONDS: at least a second, or every request would read the secret. */
export function secretCacheSeconds(env: Env): number {
  const seconds = wholeNumber(env, 'SECRET_CACHE_SECONDS', DEFAULT_SECRET_CACHE_SECONDS);
  if (seconds < 1) throw new ConfigurationError('SECRET_CACHE_SECONDS must be at least 1: with 0 every request would read the secret.');
  return seconds;
}

/** The URL rule of erasure-limits.ts, as a start-up refusal. */
export function requireSecureUrl(url: string, variable: string): void {
  if (!isSecureUrl(url)) throw new ConfigurationError(`${variable} must be an https URL (http only to localhost).`);
}
