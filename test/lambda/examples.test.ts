import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTodos, countTodos } from '../../local/todo-admin.ts';
import { snapshot } from '../support/dynamo.ts';
import { examplePayloads, httpApiEvent } from '../support/events.ts';
import { captureLogs } from '../support/logs.ts';
import { type LocalWebhook, startLocalWebhook, TEST_KEY } from '../support/local-webhook.ts';

// The documentation's examples: user.delete and user.registration.delete (for the application
// the example names) are accepted, their .complete events erase, every other type is ignored.
const EXAMPLE_USER = '00000000-0000-0001-0000-000000000000';
const EXAMPLE_APP = 'fed19281-1584-4db8-8b24-959e2d986904';
const STATUS: Record<string, 'accepted' | 'handled'> = {
  'user.delete.json': 'accepted',
  'user.registration.delete.json': 'accepted',
  'user.delete.complete.json': 'handled',
  'user.registration.delete.complete.json': 'handled',
};

let webhook: LocalWebhook;
beforeAll(async () => {
  webhook = await startLocalWebhook({ env: { TODO_APPLICATION_ID: EXAMPLE_APP }, logLevel: 'INFO' });
});
afterAll(() => webhook.close());

describe.each([...examplePayloads()])('the FusionAuth example %s', (name, payload) => {
  const { type, id } = (JSON.parse(payload) as { event: { type: string; id: string } }).event;
  const status = STATUS[name] ?? 'ignored';

  it(`is answered 200 ${status}, with one log line and no personal data in it`, async () => {
    const target = webhook.targets[0]!;
    await addTodos(webhook.client, target, { userId: EXAMPLE_USER }, 3);
    await addTodos(webhook.client, target, { userId: 'bystander' }, 2);
    const before = await snapshot(webhook.client, 'Todos');
    let response: Awaited<ReturnType<typeof webhook.handler>> | undefined;
    const lines = await captureLogs(async () => {
      response = await webhook.handler(httpApiEvent({ body: payload, headers: { authorization: TEST_KEY } }));
    });

    expect(response?.statusCode).toBe(200);
    expect(JSON.parse(response!.body)).toEqual({ status, type });
    const after = await snapshot(webhook.client, 'Todos');
    if (status === 'handled') {
      expect(await countTodos(webhook.client, target, { userId: EXAMPLE_USER })).toBe(0);
      expect(after).toEqual(before.filter((item) => !item.includes(`"${EXAMPLE_USER}"`)));
    } else {
      expect(after).toEqual(before);
    }

    const delivery = lines.filter((line) => line.message === 'delivery');
    expect(delivery).toHaveLength(1);
    expect(delivery[0]).toMatchObject({
      level: 'INFO',
      eventId: id,
      eventType: type,
      outcome: status,
      status: 200,
      durationMs: expect.any(Number),
    });
    if (status === 'handled') expect(delivery[0]).toMatchObject({ todosDeleted: expect.any(Number) });
    const logged = JSON.stringify(lines);
    expect(logged).not.toContain(TEST_KEY);
    expect(logged).not.toMatch(/@(fusionauth|inversoft)\.(io|com)/);
    expect(logged).not.toContain('42.42.42.42');
    expect(logged).not.toMatch(/"user":/);
    expect(logged).not.toContain(EXAMPLE_USER);
  });
});
