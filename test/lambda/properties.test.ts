import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryHandler } from '../../lambda/delivery.ts';
import { addTodos, countTodos } from '../../local/todo-admin.ts';
import { type LocalWebhook, startLocalWebhook, TEST_KEY, TODO_APP } from '../support/local-webhook.ts';

/**
 * What a client can be answered, with a store that works: a 500 would be a crash, never a
 * documented answer to anything a client sends. 409 is the same event id with another body.
 */
const STATUSES = [200, 400, 401, 405, 409, 413];
const BYSTANDER = 'bystander-with-todos';

let webhook: LocalWebhook;
let handler: DeliveryHandler;
beforeAll(async () => {
  webhook = await startLocalWebhook();
  handler = webhook.handler;
  await addTodos(webhook.client, webhook.targets[0]!, { userId: BYSTANDER }, 5);
});
afterAll(() => webhook.close());

// Events that reach the handlers: known types, with fields of any shape where they read them.
const anyValue = fc.oneof(fc.jsonValue(), fc.string(), fc.constant(undefined));
const eventBody = fc.record(
  {
    type: fc.oneof(
      fc.constantFrom('user.delete', 'user.delete.complete', 'user.registration.delete', 'user.registration.delete.complete', 'test', 'user.create', '__proto__', 'constructor'),
      fc.string(),
    ),
    id: anyValue,
    applicationId: fc.oneof(fc.constant(TODO_APP), anyValue),
    user: fc.oneof(fc.record({ id: fc.oneof(fc.string(), fc.string({ unit: 'binary' }), anyValue) }, { requiredKeys: [] }), anyValue),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  fc.json(),
  fc.string(),
  fc.jsonValue().map((value) => JSON.stringify({ event: value })),
  eventBody.map((event) => JSON.stringify({ event })),
);
const headers = fc.dictionary(
  fc.oneof(fc.constantFrom('authorization', 'Authorization', 'AUTHORIZATION', 'content-type', 'x-fusionauth-signature-jwt'), fc.string()),
  fc.oneof(fc.constant(TEST_KEY), fc.string()),
);
const request = fc.record({
  version: fc.constantFrom('2.0', '1.0', undefined),
  method: fc.oneof(fc.constant('POST'), fc.string()),
  headers,
  body: fc.oneof(body, fc.constant(undefined)),
  isBase64Encoded: fc.boolean(),
});

describe('properties', () => {
  it('any body and headers: the handler answers one of the documented statuses, never throws', async () => {
    await fc.assert(
      fc.asyncProperty(request, async ({ version, method, headers, body, isBase64Encoded }) => {
        const event =
          version === '1.0'
            ? { httpMethod: method, headers, body, isBase64Encoded }
            : { version, requestContext: { http: { method } }, headers, body: isBase64Encoded && body ? Buffer.from(body).toString('base64') : body, isBase64Encoded };
        const response = await handler(event);
        expect(STATUSES).toContain(response.statusCode);
        expect(response.headers['content-type']).toBe('application/json');
        const answer = JSON.parse(response.body) as { status?: string; errors?: { code: unknown; message: unknown }[] };
        if (response.statusCode === 200) expect(['accepted', 'handled', 'ignored']).toContain(answer.status);
        else expect(answer).toEqual({ errors: [{ code: expect.any(String), message: expect.any(String) }] });
        expect(response.body).not.toMatch(/\n\s+at |\.ts:\d+/);
      }),
      { numRuns: 400 },
    );
    // Whatever was sent, the bystander's Todos are all there: no generated id addresses them.
    expect(await countTodos(webhook.client, webhook.targets[0]!, { userId: BYSTANDER })).toBe(5);
  });

  it('anything that is not a POST is 405, whatever else it carries', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string().filter((m) => m !== 'POST'), headers, fc.option(body), async (method, headers, body) => {
        const response = await handler({ version: '2.0', requestContext: { http: { method } }, headers, body });
        expect(response.statusCode).toBe(405);
      }),
      { numRuns: 200 },
    );
  });

  it('without the key, nothing but 401 (or 405) comes back', async () => {
    const noKey = fc.dictionary(fc.string(), fc.string().filter((value) => value.trim() !== TEST_KEY));
    await fc.assert(
      fc.asyncProperty(noKey, fc.option(body), async (headers, body) => {
        const response = await handler({ version: '2.0', requestContext: { http: { method: 'POST' } }, headers, body });
        expect(response.statusCode).toBe(401);
      }),
      { numRuns: 200 },
    );
  });
});
