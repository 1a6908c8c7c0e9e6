/**
 * The scheduled reconcile's run-state table, which the construct creates and the worker writes:
 * free of imports, so the CDK construct reads it without the AWS SDK.
 *
 * A table of its own rather than items in the erasure ledger: the ledger's records are one per
 * user and scope, listed by `npm run erasures` and scanned by it whole, and every item there is a
 * receipt kept for a year; a run's state (its counters, the segments done, one item per page and
 * per candidate) is scaffolding, many items a run, worthless a few days on. Here it expires by
 * TTL, and the worker's rights on the ledger stay what the lifecycle needs.
 */
export const RECONCILE_KEYS = { partition: 'runId', sort: 'item' } as const;
export const RECONCILE_TTL_ATTRIBUTE = 'expiresAt';
/** A run's items outlive it this long: long enough to look at a refused run. */
export const RECONCILE_RETENTION_DAYS = 14;
