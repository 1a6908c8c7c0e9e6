import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClient } from '../../local/dynamodb.ts';
import { addTodos, scanKeys } from '../../local/todo-admin.ts';
import { passportEvent } from '../support/events.ts';
import { type RunningLocalServer, startLocalServer } from '../support/local-server.ts';

const TODO_APP = '7d1c3b8e-5a4f-4e2b-9c6d-0a1b2c3d4e5f';
const KEY = 'load-test-key';
const TABLE = { tableName: 'Todos', userIdAttribute: 'userId', sortKeyAttribute: 'todoId' };
const CONNECTIONS = 50;

interface Delivery {
  readonly method: string;
  readonly body?: string;
  readonly key: string;
  readonly status: number;
}

/** 2,000 deliveries of every kind, in a fixed shuffled order; and the partitions they may empty. */
function deliveries(): { list: Delivery[]; emptied: Set<string>; seeded: string[] } {
  const list: Delivery[] = [];
  const emptied = new Set<string>();
  const seeded: string[] = [];
  const deliver = (status: number, body?: string, key = KEY, method = 'POST') => list.push({ method, body, key, status });
  for (let i = 0; i < 400; i++) {
    const user = `deleted-${i}`;
    seeded.push(user);
    emptied.add(user);
    const body = passportEvent({ type: 'user.delete', id: `evt-delete-${i}`, user: { id: user } });
    deliver(200, body);
    if (i < 100) deliver(200, body); // a redelivery of the same event
  }
  for (let i = 0; i < 200; i++) {
    const user = `unregistered-${i}`;
    seeded.push(user);
    const ours = i % 2 === 0;
    if (ours) emptied.add(user);
    deliver(200, passportEvent({ type: 'user.registration.delete', id: `evt-unreg-${i}`, applicationId: ours ? TODO_APP : 'another-app', user: { id: user } }));
  }
  const ignored = ['user.login.success', 'test', 'jwt.refresh', 'user.create', 'some.future.event', 'user.delete.complete'];
  for (let i = 0; i < 600; i++) deliver(200, passportEvent({ type: ignored[i % ignored.length], id: `evt-ignored-${i}`, user: { id: `deleted-${i % 400}` } }));
  for (let i = 0; i < 300; i++) deliver(401, passportEvent({ type: 'user.delete', id: `evt-forged-${i}`, user: { id: `bystander-${i % 50}` } }), `forged-${i}`);
  for (let i = 0; i < 200; i++) deliver(400, `{"event":{"type":"user.delete","user":{"id":"bystander-${i % 50}"}`);
  for (let i = 0; i < 100; i++) deliver(400, passportEvent({ type: 'user.delete', id: `evt-noid-${i}`, user: {} }));
  for (let i = 0; i < 100; i++) deliver(405, undefined, KEY, 'GET');
  for (let i = 0; i < 50; i++) seeded.push(`bystander-${i}`);
  // A fixed shuffle (LCG), so a failure replays in the same order.
  let seed = 42;
  for (let i = list.length - 1; i > 0; i--) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = seed % (i + 1);
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return { list, emptied, seeded };
}

let server: RunningLocalServer;
beforeAll(async () => {
  server = await startLocalServer({ WEBHOOK_API_KEYS: KEY, TODO_APPLICATION_ID: TODO_APP, IDEMPOTENCY_TABLE_NAME: 'Idempotency', POWERTOOLS_LOG_LEVEL: 'WARN' });
});
afterAll(() => server?.stop());

describe('load on the local server', () => {
  it('answers 2,000 mixed deliveries at 50 connections as documented, leaving the table exactly as expected', async () => {
    const { list, emptied, seeded } = deliveries();
    expect(list).toHaveLength(2000);
    const client = localClient(server.dynamoDbEndpoint);
    for (const user of seeded) await addTodos(client, TABLE, user, 3);
    const before = await scanKeys(client, TABLE);
    expect(before).toHaveLength(seeded.length * 3);

    const statuses: number[] = new Array(list.length);
    let next = 0;
    const worker = async () => {
      while (next < list.length) {
        const i = next++;
        const { method, body, key } = list[i]!;
        const response = await fetch(server.url, { method, body, headers: { authorization: key, 'content-type': 'application/json' } });
        await response.arrayBuffer();
        statuses[i] = response.status;
      }
    };
    await Promise.all(Array.from({ length: CONNECTIONS }, worker));

    const wrong = list.map((delivery, i) => ({ ...delivery, got: statuses[i] })).filter((d) => d.got !== d.status);
    expect(wrong.slice(0, 5)).toEqual([]);
    const after = await scanKeys(client, TABLE);
    expect(after).toEqual(before.filter((key) => !emptied.has(key.slice(0, key.indexOf('/')))));
    client.destroy();
  });
});
