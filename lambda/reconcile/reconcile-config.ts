import { type Env, read, wholeNumber } from '../env.ts';
import { ConfigurationError } from '../errors.ts';
import { DEFAULT_MAX_MISSING, MaxMissingError, parseMaxMissing } from './missing-ratio.ts';
import { DEFAULT_SEARCH_BATCH, LOOKUP_METHODS, type LookupMethod, MAX_SEARCH_BATCH } from './user-checker.ts';

/** The scheduled reconcile's settings, which the construct sets on the worker. */
export interface ReconcileConfig {
  /** Where runs keep their state (RECONCILE_TABLE_NAME); unset, reconcile is off. */
  readonly tableName: string;
  /** RECONCILE_MAX_MISSING: a fraction (0.2) or a percentage (20%). */
  readonly maxMissing: number;
  /** RECONCILE_SEGMENTS: Scan segments per target, each a chain of page jobs. */
  readonly segments: number;
  /** RECONCILE_LOOKUP: `get` for the worker's key (GET on /api/user), `search` for a key allowed POST on /api/user/search. */
  readonly lookup: LookupMethod;
  /** RECONCILE_RPS: requests per second to FusionAuth, all segments together. */
  readonly requestsPerSecond: number;
  readonly batchSize: number;
  /** RECONCILE_PAGE_SIZE: items per page job, so one page's lookups fit in one invocation. */
  readonly pageSize: number;
}

export const DEFAULT_SEGMENTS = 4;
export const DEFAULT_RECONCILE_RPS = 10;
export const DEFAULT_PAGE_SIZE = 1_000;

export function readReconcileConfig(env: Env): ReconcileConfig | undefined {
  const tableName = read(env, 'RECONCILE_TABLE_NAME');
  if (!tableName) return undefined;
  let maxMissing = DEFAULT_MAX_MISSING;
  const text = read(env, 'RECONCILE_MAX_MISSING');
  if (text !== undefined) {
    try {
      maxMissing = parseMaxMissing(text);
    } catch (error) {
      if (error instanceof MaxMissingError) throw new ConfigurationError(`RECONCILE_MAX_MISSING: ${error.message}`);
      throw error;
    }
  }
  const lookup = (read(env, 'RECONCILE_LOOKUP') ?? 'get') as LookupMethod;
  if (!LOOKUP_METHODS.includes(lookup)) throw new ConfigurationError(`RECONCILE_LOOKUP must be ${LOOKUP_METHODS.join(' or ')}.`);
  const segments = wholeNumber(env, 'RECONCILE_SEGMENTS', DEFAULT_SEGMENTS, 'segments');
  if (segments < 1 || segments > 100) throw new ConfigurationError('RECONCILE_SEGMENTS must be from 1 to 100.');
  const requestsPerSecond = wholeNumber(env, 'RECONCILE_RPS', DEFAULT_RECONCILE_RPS, 'requests per second');
  if (requestsPerSecond < 1) throw new ConfigurationError('RECONCILE_RPS must be at least 1.');
  const batchSize = wholeNumber(env, 'RECONCILE_BATCH_SIZE', DEFAULT_SEARCH_BATCH, 'ids');
  if (batchSize < 1 || batchSize > MAX_SEARCH_BATCH) throw new ConfigurationError(`RECONCILE_BATCH_SIZE must be from 1 to ${MAX_SEARCH_BATCH}.`);
  const pageSize = wholeNumber(env, 'RECONCILE_PAGE_SIZE', DEFAULT_PAGE_SIZE, 'items');
  if (pageSize < 1) throw new ConfigurationError('RECONCILE_PAGE_SIZE must be at least 1.');
  return { tableName, maxMissing, segments, lookup, requestsPerSecond, batchSize, pageSize };
}
