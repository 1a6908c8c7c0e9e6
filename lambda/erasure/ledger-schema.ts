/**
 * The ledger table's shape, which the construct and `npm start` create: one item per user and
 * scope, a TTL on `expiresAt`, and a sparse index of those that still need something (open, or
 * unconfirmed) by state and age. Free of imports, so the CDK construct can read it without
 * loading the AWS SDK.
 */
export const LEDGER_KEYS = { partition: 'userId', sort: 'scope' } as const;
export const LEDGER_TTL_ATTRIBUTE = 'expiresAt';
export const OPEN_INDEX = { name: 'byOpenState', partition: 'openState', sort: 'requestedAt' } as const;
