import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveTargets } from '../../lambda/targets/table-schema.ts';
import { readTargetsConfig } from '../../lambda/targets/target-spec.ts';
import { localClient } from '../../local/dynamodb.ts';
import { addTodos } from '../../local/todo-admin.ts';
import { snapshot } from '../support/dynamo.ts';
import { passportEvent } from '../support/events.ts';
import { type RunningLocalServer, startLocalServer } from '../support/local-server.ts';

const TODO_APP = '7d1c3b8e-5a4f-4e2b-9c6d-0a1b2c3d4e5f';
const KEY = 'load-test-key';
const CONNECTIONS = 50;

interface Delivery {
  readonly method: string;
  readonly body?: string;
  readonly key: string;
  readonly status: number;
}

/**
 * 2,000 deliveries of every kind, in a fixed shuffled order, as FusionAuth and strangers might send
 * them; and the partitions they may empty. A deletion is its transactional event and its
 * `.complete`, in either order after the shuffle: the `.complete` alone erases.
 */
function deliveries(): { list: Delivery[]; emptied: Set<string>; seeded: string[] } {
  const list: Delivery[] = [];
  const emptied = new Set<string>();
  const seeded: string[] = [];
  const deliver = (status: number, body?: string, key = KEY, method = 'POST') => list.push({ method, body, key, status });
  for (let i = 0; i < 400; i++) {
    const user = `deleted-${i}`;
    seeded.push(user);
    emptied.add(user);
    deliver(200, passportEvent({ type: 'user.delete', id: `evt-delete-${i}`, user: { id: user } }));
    const complete = passportEvent({ type: 'user.delete.complete', id: `evt-complete-${i}`, user: { id: user } });
    deliver(200, complete);
    if (i < 100) deliver(200, complete); // a redelivery of the same event
  }
  for (let i = 0; i < 100; i++) {
    const user = `unregistered-${i}`;
    seeded.push(user);
    const ours = i % 2 === 0;
    if (ours) emptied.add(user);
    const applicationId = ours ? TODO_APP : 'another-app';
    deliver(200, passportEvent({ type: 'user.registration.delete', id: `evt-unreg-${i}`, applicationId, user: { id: user } }));
    deliver(200, passportEvent({ type: 'user.registration.delete.complete', id: `evt-unreg-complete-${i}`, applicationId, user: { id: user } }));
  }
  const ignored = ['user.login.success', 'test', 'jwt.refresh', 'user.create', 'some.future.event', 'user.deactivate'];
  for (let i = 0; i < 400; i++) deliver(200, passportEvent({ type: ignored[i % ignored.length], id: `evt-ignored-${i}`, user: { id: `bystander-${i % 50}` } }));
  for (let i = 0; i < 200; i++) deliver(401, passportEvent({ type: 'user.delete.complete', id: `evt-forged-${i}`, user: { id: `bystander-${i % 50}` } }), `forged-${i}`);
  for (let i = 0; i < 150; i++) deliver(400, `{"event":{"type":"user.delete.complete","user":{"id":"bystander-${i % 50}"}`);
  for (let i = 0; i < 100; i++) deliver(400, passportEvent({ type: 'user.delete.complete', id: `evt-noid-${i}`, user: {} }));
  // The REST API routes only POST: a GET never reaches the function.
  for (let i = 0; i < 50; i++) deliver(404, undefined, KEY, 'GET');
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
  // The function under load, not the edge: with the stage throttle on, 50 connections from one
  // address would be throttled (test/local/flood.test.ts puts the edge under load).
  server = await startLocalServer({ WEBHOOK_API_KEYS: KEY, TODO_APPLICATION_ID: TODO_APP, POWERTOOLS_LOG_LEVEL: 'WARN', LOCAL_EDGE: 'off' });
});
afterAll(() => server?.stop());

describe('load on the local server', () => {
  it('answers 2,000 mixed deliveries at 50 connections as documented, leaving the table exactly as expected', async () => {
    const { list, emptied, seeded } = deliveries();
    expect(list).toHaveLength(2000);
    const client = localClient(server.dynamoDbEndpoint);
    const [target] = await resolveTargets(client, readTargetsConfig({ TODO_TABLE_NAME: 'Todos' }));
    for (const user of seeded) await addTodos(client, target!, { userId: user }, 3);
    const before = await snapshot(client, 'Todos');
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
    // An erasure the load kept from finishing inline is the worker's: its jobs run at once.
    let after = await snapshot(client, 'Todos');
    for (let waited = 0; after.length > before.length - emptied.size * 3 && waited < 30_000; waited += 200) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      after = await snapshot(client, 'Todos');
    }
    const owner = (row: string) => (JSON.parse(row) as { userId: { S: string } }).userId.S;
    expect(after).toEqual(before.filter((row) => !emptied.has(owner(row))));
    client.destroy();
  });
});
