import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, onTestFinished, test } from 'vitest';
import type { DeletionTargetSpec } from '../../../lambda/targets/target-spec.ts';
import { writeAll } from '../../../local/write-all.ts';
import { localClient } from '../../../local/dynamodb.ts';
import { createTable, snapshot, startTestDynamoDb } from '../../support/dynamo.ts';
import { type LocalWebhook, startLocalWebhook } from '../../support/local-webhook.ts';

/**
 * One table per layout real apps use (the research note's), each erased through the production
 * path: a `user.delete.complete` to the webhook, which erases inline. Every table is compared
 * whole before and after: exactly the user's items go.
 */
type Item = Record<string, unknown>;

interface Layout {
  readonly targets: readonly DeletionTargetSpec[];
  readonly tables: Record<string, Parameters<typeof createTable>[2]>;
  readonly items: Record<string, readonly Item[]>;
}

/**
 * Sends the `.complete`, which erases inline, and compares. The queue's own jobs (the look that
 * watches the cycle) are waited for only when `afterFirstDelete` is given: that test counts the
 * second pass.
 */
async function erase(layout: Layout, event: Item, env: Record<string, string> = {}, afterFirstDelete?: (client: DynamoDBClient) => Promise<void>) {
  const dynamo = await startTestDynamoDb();
  onTestFinished(() => dynamo.close());
  const webhook = await startLocalWebhook({
    dynamo,
    functionsClient: afterFirstDelete && withHook(dynamo.endpoint, () => afterFirstDelete(dynamo.client)),
    env: { DELETION_TARGETS: JSON.stringify(layout.targets), ...env },
    prepare: async (client) => {
      for (const [name, keys] of Object.entries(layout.tables)) await createTable(client, name, keys);
      await seed(client, layout.items);
    },
  });
  onTestFinished(() => webhook.close());
  const before = await tables(webhook);
  const answer = await webhook.post({ type: 'user.delete.complete', id: `complete-${String(event.id ?? 'x')}`, ...event });
  if (afterFirstDelete) await webhook.settled();
  return { webhook, answer, before, after: await tables(webhook) };
}

/** A client that runs `hook` once, right after its first BatchWriteItem: between an index's passes. */
function withHook(endpoint: string, hook: () => Promise<void>): DynamoDBClient {
  const client = localClient(endpoint);
  let done = false;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'BatchWriteItemCommand' && !done) {
        done = true;
        await hook();
      }
      return result;
    },
    { step: 'initialize', name: 'afterFirstDelete' },
  );
  return client;
}

const seed = async (client: DynamoDBClient, items: Layout['items']) => {
  for (const [table, list] of Object.entries(items)) {
    await writeAll(client, table, list.map((item) => ({ PutRequest: { Item: marshall(item) as Record<string, AttributeValue> } })));
  }
};

async function tables(webhook: LocalWebhook): Promise<Record<string, string[]>> {
  const names = [...new Set(webhook.targets.map((target) => target.table))];
  return Object.fromEntries(await Promise.all(names.map(async (name) => [name, await snapshot(webhook.client, name)] as const)));
}

/** The snapshot without the items `gone` picks. */
const keep = (rows: readonly string[], gone: (row: Item) => boolean) => rows.filter((row) => !gone(plain(row)));
const plain = (row: string): Item => Object.fromEntries(Object.entries(JSON.parse(row) as Record<string, Record<string, unknown>>).map(([k, v]) => [k, Object.values(v)[0]]));

const user = (id: string, extra: Item = {}) => ({ user: { id, ...extra } });

describe('deletion targets, one per layout', () => {
  test('the raw user id with a numeric sort key: every item of that partition, N keys deleted as stored', async () => {
    const layout: Layout = {
      targets: [{ table: 'Timestamped' }],
      tables: { Timestamped: { partition: ['userId', 'S'], sort: ['timestamp', 'N'] } },
      items: {
        Timestamped: [
          ...[1, 2, 3, 1.5e12, 1733000000123].map((timestamp) => ({ userId: 'alice', timestamp, title: `t${timestamp}` })),
          { userId: 'alice2', timestamp: 1, title: 'neighbour' },
          { userId: 'bob', timestamp: 1, title: 'other' },
        ],
      },
    };
    const { answer, before, after, webhook } = await erase(layout, user('alice'));
    expect(answer).toEqual({ status: 200, body: { status: 'handled', type: 'user.delete.complete' } });
    expect(after.Timestamped).toEqual(keep(before.Timestamped!, (row) => row.userId === 'alice'));
    expect(after.Timestamped).toHaveLength(2);
    expect(await webhook.ledger.get('alice', 'user')).toMatchObject({ state: 'erased', todosDeleted: 5, deletedByTarget: { Timestamped: 5 } });
  });

  test('no sort key: the one item of the user', async () => {
    const layout: Layout = {
      targets: [{ table: 'Saves' }],
      tables: { Saves: { partition: ['userId', 'S'] } },
      items: { Saves: [{ userId: 'alice', articles: ['a', 'b'] }, { userId: 'bob', articles: ['c'] }] },
    };
    const { before, after } = await erase(layout, user('alice'));
    expect(after.Saves).toEqual(keep(before.Saves!, (row) => row.userId === 'alice'));
    expect(after.Saves).toHaveLength(1);
  });

  test('USER#{userId} with TODO# and LIST# prefixes: the profile in the same partition survives', async () => {
    const layout: Layout = {
      targets: [{ table: 'App', partitionKey: 'USER#{userId}', sortKeyPrefixes: ['TODO#', 'LIST#'] }],
      tables: { App: { partition: ['PK', 'S'], sort: ['SK', 'S'] } },
      items: {
        App: [
          { PK: 'USER#alice', SK: 'PROFILE#alice', name: 'Alice' },
          { PK: 'USER#alice', SK: 'SETTINGS', theme: 'dark' },
          ...[1, 2, 3].map((n) => ({ PK: 'USER#alice', SK: `TODO#${n}`, title: `todo ${n}` })),
          ...[1, 2].map((n) => ({ PK: 'USER#alice', SK: `LIST#${n}`, title: `list ${n}` })),
          { PK: 'USER#alice2', SK: 'TODO#1', title: 'neighbour' },
          { PK: 'USER#bob', SK: 'TODO#1', title: 'other' },
        ],
      },
    };
    const { before, after, webhook } = await erase(layout, user('alice'));
    expect(after.App).toEqual(keep(before.App!, (row) => row.PK === 'USER#alice' && /^(TODO|LIST)#/.test(String(row.SK))));
    expect(after.App!.filter((row) => row.includes('USER#alice"'))).toHaveLength(2);
    expect(await webhook.ledger.get('alice', 'user')).toMatchObject({ todosDeleted: 5 });
  });

  test('a table keyed by todoId, the user only in a GSI: deleted by the table key, and a Todo written during the settle delay goes too', async () => {
    const layout: Layout = {
      targets: [{ table: 'Capstone', index: 'byOwner' }],
      tables: { Capstone: { partition: ['todoId', 'S'], indexes: { byOwner: { partition: ['userId', 'S'], sort: ['createdAt', 'S'] } } } },
      items: {
        Capstone: [
          ...[1, 2, 3, 4].map((n) => ({ todoId: `a${n}`, userId: 'alice', createdAt: `2026-01-0${n}` })),
          { todoId: 'b1', userId: 'bob', createdAt: '2026-01-01' },
          { todoId: 'alice', userId: 'carol', createdAt: '2026-01-01' },
        ],
      },
    };
    // An app holding a token that outlived its user writes one more Todo after the first pass.
    const late = { todoId: 'a5', userId: 'alice', createdAt: '2026-01-05' };
    const { before, after, webhook } = await erase(layout, user('alice'), { INDEX_SETTLE_MS: '300', ERASURE_SECOND_PASS_SECONDS: '1' }, (client) => seed(client, { Capstone: [late] }));
    expect(after.Capstone).toEqual(keep(before.Capstone!, (row) => row.userId === 'alice'));
    expect(after.Capstone).toHaveLength(2);
    expect(await webhook.ledger.get('alice', 'user')).toMatchObject({ todosDeleted: 5, deletedByTarget: { 'Capstone/byOwner': 5 } });
  });

  test('a tenant partition shared by users abc and abcd: only abc\'s items go', async () => {
    const layout: Layout = {
      targets: [{ table: 'Tenants', partitionKey: 'TENANT#{tenantId}', sortKeyPrefixes: ['USER#{userId}#'] }],
      tables: { Tenants: { partition: ['pk', 'S'], sort: ['sk', 'S'] } },
      items: {
        Tenants: [
          { pk: 'TENANT#t1', sk: 'ACCOUNT', name: 'Acme' },
          ...[1, 2, 3].map((n) => ({ pk: 'TENANT#t1', sk: `USER#abc#TODO#${n}` })),
          ...[1, 2].map((n) => ({ pk: 'TENANT#t1', sk: `USER#abcd#TODO#${n}` })),
          { pk: 'TENANT#t1', sk: 'USER#ab#TODO#1' },
          { pk: 'TENANT#t2', sk: 'USER#abc#TODO#1' },
        ],
      },
    };
    const { before, after } = await erase(layout, { tenantId: 't1', ...user('abc') });
    expect(after.Tenants).toEqual(keep(before.Tenants!, (row) => row.pk === 'TENANT#t1' && String(row.sk).startsWith('USER#abc#')));
    expect(after.Tenants).toHaveLength(5);
  });

  test('{user.data.appUserId} as a numeric key: the app\'s own id, taken from the event', async () => {
    const layout: Layout = {
      targets: [{ table: 'Legacy', partitionKey: '{user.data.appUserId}' }],
      tables: { Legacy: { partition: ['appUserId', 'N'], sort: ['item', 'S'] } },
      items: { Legacy: [...['x', 'y'].map((item) => ({ appUserId: 4711, item })), { appUserId: 47110, item: 'x' }, { appUserId: 4712, item: 'x' }] },
    };
    const { before, after } = await erase(layout, user('fusion-id', { data: { appUserId: 4711 } }));
    expect(after.Legacy).toEqual(keep(before.Legacy!, (row) => row.appUserId === '4711'));
    expect(after.Legacy).toHaveLength(2);
  });

  test('two tables in order, children first: both erased, counted per target', async () => {
    const layout: Layout = {
      targets: [
        { table: 'Items', partitionKey: 'OWNER#{userId}' },
        { table: 'Lists', partitionKey: '{userId}' },
      ],
      tables: { Items: { partition: ['owner', 'S'], sort: ['itemId', 'S'] }, Lists: { partition: ['userId', 'S'], sort: ['listId', 'S'] } },
      items: {
        Items: [...[1, 2, 3].map((n) => ({ owner: 'OWNER#alice', itemId: `i${n}` })), { owner: 'OWNER#bob', itemId: 'i1' }],
        Lists: [{ userId: 'alice', listId: 'l1' }, { userId: 'bob', listId: 'l1' }],
      },
    };
    const { before, after, webhook } = await erase(layout, user('alice'));
    expect(after.Items).toEqual(keep(before.Items!, (row) => row.owner === 'OWNER#alice'));
    expect(after.Lists).toEqual(keep(before.Lists!, (row) => row.userId === 'alice'));
    expect(await webhook.ledger.get('alice', 'user')).toMatchObject({ todosDeleted: 4, deletedByTarget: { Items: 3, Lists: 1 } });
  });

  test('a target for registrations only is left alone when the user is deleted... and the other way round', async () => {
    const layout: Layout = {
      targets: [
        { table: 'AppData', partitionKey: 'APP#{userId}', on: ['registration'] },
        { table: 'Profiles', on: ['user'] },
      ],
      tables: { AppData: { partition: ['pk', 'S'], sort: ['sk', 'S'] }, Profiles: { partition: ['userId', 'S'] } },
      items: { AppData: [{ pk: 'APP#alice', sk: '1' }], Profiles: [{ userId: 'alice' }] },
    };
    const { before, after } = await erase(layout, user('alice'));
    expect(after.AppData).toEqual(before.AppData);
    expect(after.Profiles).toEqual([]);
  });
});

describe('hostile ids against key templates', () => {
  const layout: Layout = {
    targets: [
      { table: 'App', partitionKey: 'USER#{userId}', sortKeyPrefixes: ['TODO#'] },
      { table: 'Tenants', partitionKey: 'TENANT#{tenantId}', sortKeyPrefixes: ['USER#{userId}#'] },
    ],
    tables: { App: { partition: ['PK', 'S'], sort: ['SK', 'S'] }, Tenants: { partition: ['pk', 'S'], sort: ['sk', 'S'] } },
    items: {
      App: ['a', 'a#TODO', 'a#', 'ab', '{userId}', 'A', 'a '].flatMap((id) => [
        { PK: `USER#${id}`, SK: 'TODO#1' },
        { PK: `USER#${id}`, SK: 'TODO#2' },
      ]),
      // No stored id holds the delimiter: `USER#a#b#…` would be ambiguous in the data itself.
      Tenants: ['a', 'ab', 'b'].map((id) => ({ pk: 'TENANT#t1', sk: `USER#${id}#TODO#1` })),
    },
  };

  test.each([
    ['a#TODO', 400],
    ['a#', 400],
    ['{userId}', 200],
    ['A', 200],
  ])('the id %j is answered %i and reaches no one else\'s items', async (id, status) => {
    const { answer, before, after } = await erase(layout, { tenantId: 't1', ...user(id) });
    expect(answer.status).toBe(status);
    if (status === 400) {
      expect(answer.body).toMatchObject({ errors: [{ code: '[invalid]event.user.id', message: expect.stringContaining('delimiter') }] });
      expect(after).toEqual(before);
    } else {
      expect(after.App).toEqual(keep(before.App!, (row) => row.PK === `USER#${id}`));
      expect(after.Tenants).toEqual(before.Tenants);
    }
  });

  test('a tenant id holding the delimiter is refused; a prefix of another id stops at the delimiter', async () => {
    const refused = await erase(layout, { tenantId: 't1#x', ...user('a') });
    expect(refused.answer.status).toBe(400);
    expect(refused.after).toEqual(refused.before);
    const { before, after } = await erase(layout, { tenantId: 't1', ...user('a') });
    expect(after.Tenants).toEqual(keep(before.Tenants!, (row) => row.sk === 'USER#a#TODO#1'));
    expect(after.App).toEqual(keep(before.App!, (row) => row.PK === 'USER#a'));
  });

  test('a field the event lacks is a 400 naming it, and nothing is recorded or deleted', async () => {
    const { answer, before, after, webhook } = await erase(layout, user('a'));
    expect(answer).toEqual({
      status: 400,
      body: { errors: [{ code: '[missing]event.tenantId', message: expect.stringContaining('"event.tenantId"') }] },
    });
    expect(after).toEqual(before);
    expect(await webhook.ledger.get('a', 'user')).toBeUndefined();
  });
});
