import type { AttributeValue, DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';
import { ensureLedgerTable, ensureTodoTable } from '../../local/dynamodb.ts';
import { writeAll } from '../../local/write-all.ts';
import { createTable } from './dynamo.ts';
import { type FakeFusionAuth, type FakeFusionAuthSetup, fusionAuthTenant, fusionAuthUser, startFakeFusionAuth } from './fusionauth/index.ts';

/**
 * A Todo app's data for the reconcile tests: `users` users owning `todos` Todos across two
 * targets, the shorthand's table (`userId` + `todoId`) and a single-table layout (`PK` =
 * `USER#{userId}`, Todos under `TODO#`, a profile item beside them that no erasure touches),
 * split between two tenants, `deleted` of them gone from FusionAuth; and Todos of ids that are
 * not FusionAuth's (a legacy import).
 */
export const TENANT_A = '1e8f6b5c-0000-4000-8000-00000000000a';
export const TENANT_B = '1e8f6b5c-0000-4000-8000-00000000000b';
export const TODOS = 'Todos';
export const ITEMS = 'Items';
export const LEDGER = 'Erasures';
export const LEGACY_IDS = ['legacy-user-1', 'legacy-user-2'];
export const DELETION_TARGETS = JSON.stringify([
  { table: TODOS },
  { table: ITEMS, partitionKey: 'USER#{userId}', sortKeyPrefixes: ['TODO#'] },
]);

export interface FixtureUser {
  readonly id: string;
  readonly tenantId: string;
  readonly todos: Readonly<Record<string, number>>;
  readonly deleted: boolean;
}

export const userId = (n: number): string => `0b7c${String(n).padStart(4, '0')}-1d2e-4f30-8a4b-${String(n).padStart(12, '0')}`;

/** Deterministic: user n has 8 to 12 Todos in the first table and the rest of 20 in the second; 3 in 50 are deleted. */
export function fixtureUsers(count: number): FixtureUser[] {
  return Array.from({ length: count }, (_, n) => {
    const first = 8 + (n % 5);
    return { id: userId(n), tenantId: n % 2 === 0 ? TENANT_A : TENANT_B, todos: { [TODOS]: first, [ITEMS]: 20 - first }, deleted: [3, 20, 37].includes(n % 50) };
  });
}

export async function seedFixture(client: DynamoDBClient, users: readonly FixtureUser[]): Promise<void> {
  await ensureTodoTable(client, { tableName: TODOS, userIdAttribute: 'userId', sortKeyAttribute: undefined });
  await createTable(client, ITEMS, { partition: ['PK', 'S'], sort: ['SK', 'S'] });
  await ensureLedgerTable(client, LEDGER);
  const todos: WriteRequest[] = [];
  const items: WriteRequest[] = [];
  const put = (Item: Record<string, AttributeValue>) => ({ PutRequest: { Item } });
  for (const [n, user] of users.entries()) {
    for (let t = 0; t < user.todos[TODOS]!; t += 1) todos.push(put({ userId: { S: user.id }, todoId: { S: `t${t}` }, title: { S: `Todo ${t}` } }));
    for (let t = 0; t < user.todos[ITEMS]!; t += 1) items.push(put({ PK: { S: `USER#${user.id}` }, SK: { S: `TODO#${t}` }, title: { S: `Todo ${t}` } }));
    if (n % 10 === 0) items.push(put({ PK: { S: `USER#${user.id}` }, SK: { S: 'PROFILE' }, name: { S: `user ${n}` } }));
  }
  for (const id of LEGACY_IDS) for (let t = 0; t < 10; t += 1) todos.push(put({ userId: { S: id }, todoId: { S: `t${t}` }, title: { S: 'legacy' } }));
  await Promise.all([writeAll(client, TODOS, todos), writeAll(client, ITEMS, items)]);
}

/** The FusionAuth stand-in with the fixture's two tenants and those of `users` not deleted, answering to `apiKeys`. */
export function startFixtureFusionAuth(users: readonly FixtureUser[], apiKeys: FakeFusionAuthSetup['apiKeys']): Promise<FakeFusionAuth> {
  return startFakeFusionAuth({
    tenants: [fusionAuthTenant(TENANT_A, 'A'), fusionAuthTenant(TENANT_B, 'B')],
    users: users.filter((user) => !user.deleted).map((user) => fusionAuthUser({ id: user.id, tenantId: user.tenantId, email: `${user.id}@example.com` })),
    apiKeys,
  });
}

/** Whether a snapshot line (test/support/dynamo.ts) is a Todo of one of `ids`, which an erasure must delete. */
export function ownedBy(ids: ReadonlySet<string>): (line: string) => boolean {
  return (line) => {
    const item = JSON.parse(line) as Record<string, { S?: string }>;
    if (item.userId?.S !== undefined) return ids.has(item.userId.S);
    const owner = item.PK?.S?.replace(/^USER#/, '');
    return owner !== undefined && ids.has(owner) && (item.SK?.S ?? '').startsWith('TODO#');
  };
}
