import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../lambda/http/request.ts';
import { addTodos } from '../../local/todo-admin.ts';
import { snapshot } from '../support/dynamo.ts';
import { examplePayload, httpApiEvent, passportEvent, type RequestShape, restApiEvent } from '../support/events.ts';
import { type LocalWebhook, startLocalWebhook, TEST_KEY, TODO_APP } from '../support/local-webhook.ts';

/**
 * Malformed and hostile requests, each with its documented status, and for each the whole table
 * compared before and after: only the partition a request is entitled to erase may change. The
 * events that erase are the `.complete` ones, which come after FusionAuth's commit; each carries
 * an id of its own, so no case is answered as a redelivery of another.
 */
interface HostileCase {
  readonly name: string;
  /** An HTTP API 2.0 request (default), or any event at all. */
  readonly request: RequestShape | { readonly raw: unknown } | { readonly rest: RequestShape };
  readonly status: number;
  readonly code?: string;
  /** The only partition whose Todos may go. */
  readonly deletes?: string;
}

const VICTIM = 'b6a1d9e4-2f7c-4c3a-9e8d-1f2a3b4c5d6e';
// Partitions an id could be aimed at: each holds Todos that must survive every case not entitled to them.
const PARTITIONS = [VICTIM, VICTIM.toUpperCase(), `${VICTIM} `, '*', '__proto__', 'constructor', 'e\u0301', '\u00e9', '\ufffd', 'x'];

const key = { authorization: TEST_KEY };
const post = (body: string, headers: Record<string, string> = key): RequestShape => ({ body, headers });
let ids = 0;
const event = (fields: Record<string, unknown>) => post(passportEvent({ id: `hostile-${(ids += 1)}`, ...fields }));
const userDelete = (user: unknown) => event({ type: 'user.delete.complete', user });
const unregister = (fields: Record<string, unknown>) => event({ type: 'user.registration.delete.complete', ...fields });
const EXAMPLE = examplePayload('user.delete.complete.json');
const EXAMPLE_ID = (JSON.parse(EXAMPLE) as { event: { id: string } }).event.id;
/** The documentation's user.delete.complete, with an id of its own each time. */
const example = () => EXAMPLE.replace(EXAMPLE_ID, `example-${(ids += 1)}`);
const nested = (depth: number) => `{"event":{"type":"test","deep":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
const nestedObjects = (depth: number) => `{"event":{"type":"test","deep":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}}`;

const WRONG_TYPES: [string, unknown][] = [
  ['a number', 42],
  ['a boolean', true],
  ['an array', ['x']],
  ['an object', { id: 'x' }],
  ['an empty string', ''],
];

const cases: HostileCase[] = [
  // Truncated and malformed JSON.
  ...[1, 10, 50, 100, 200, 400, 800].map((length) => ({
    name: `the example truncated to ${length} bytes`,
    request: post(example().slice(0, length)),
    status: 400,
    code: '[invalidJSON]',
  })),
  ...['', ' ', '{', '}', '{"event"}', "{'event':{}}", '{"event":{"type":"test"},}', 'NaN', '{"event":{"type":"test"}}{}', '\u0000'].map((body) => ({
    name: `malformed body ${JSON.stringify(body)}`,
    request: post(body),
    status: 400,
    code: '[invalidJSON]',
  })),
  { name: 'JSON with a trailing garbage byte', request: post(`${passportEvent({ type: 'test' })}x`), status: 400, code: '[invalidJSON]' },
  { name: 'bytes that are not UTF-8', request: { body: Buffer.from([0x7b, 0xc3, 0x28, 0x7d]).toString('base64'), isBase64Encoded: true, headers: key }, status: 400, code: '[invalidJSON]' },
  // Shapes that are JSON but not an event.
  ...['null', 'true', '42', '"user.delete"', '[]', '[{"event":{"type":"test"}}]'].map((body) => ({
    name: `top-level ${body}`,
    request: post(body),
    status: 400,
    code: '[invalid]body',
  })),
  { name: 'no event', request: post('{}'), status: 400, code: '[missing]event' },
  { name: 'event null', request: post('{"event":null}'), status: 400, code: '[missing]event' },
  ...WRONG_TYPES.filter(([, value]) => typeof value !== 'object' || Array.isArray(value)).map(([what, value]) => ({
    name: `event as ${what}`,
    request: post(JSON.stringify({ event: value })),
    status: 400,
    code: '[invalid]event',
  })),
  { name: 'no type', request: event({ user: { id: VICTIM } }), status: 400, code: '[missing]event.type' },
  ...WRONG_TYPES.map(([what, value]) => ({
    name: `type as ${what}`,
    request: event({ type: value, user: { id: VICTIM } }),
    status: 400,
    code: '[invalid]event.type',
  })),
  { name: 'a 10 KB type', request: event({ type: 'user.delete'.repeat(1000), user: { id: VICTIM } }), status: 400, code: '[invalid]event.type' },
  // Deep nesting: parsed without recursion, then ignored like any test event.
  ...[1_000, 100_000, 500_000].map((depth) => ({ name: `arrays nested ${depth} deep`, request: post(nested(depth)), status: 200 })),
  { name: 'objects nested 100,000 deep', request: post(nestedObjects(100_000)), status: 200 },
  { name: 'nesting past 1 MiB', request: post(nested(600_000)), status: 413, code: '[tooLarge]' },
  // Size.
  { name: 'a body of 1 MiB + 1 byte', request: post(`${passportEvent({ type: 'test', pad: '' })}${' '.repeat(MAX_BODY_BYTES)}`), status: 413 },
  { name: 'a 5 MiB body', request: post('x'.repeat(5 * MAX_BODY_BYTES)), status: 413, code: '[tooLarge]' },
  { name: 'a 2 MiB base64 body', request: { body: Buffer.alloc(2 * MAX_BODY_BYTES).toString('base64'), isBase64Encoded: true, headers: key }, status: 413 },
  { name: 'a user.delete padded past 1 MiB', request: event({ type: 'user.delete', user: { id: VICTIM }, pad: 'x'.repeat(MAX_BODY_BYTES) }), status: 413 },
  // Every field a handler reads, of the wrong type.
  { name: 'user.delete without user', request: event({ type: 'user.delete' }), status: 400, code: '[missing]event.user.id' },
  { name: 'user.delete.complete without user', request: event({ type: 'user.delete.complete' }), status: 400, code: '[missing]event.user.id' },
  { name: 'a user.delete only records: nothing is erased', request: event({ type: 'user.delete', user: { id: VICTIM } }), status: 200 },
  { name: 'a user.registration.delete only records', request: event({ type: 'user.registration.delete', applicationId: TODO_APP, user: { id: VICTIM } }), status: 200 },
  { name: 'user.delete with user null', request: userDelete(null), status: 400, code: '[missing]event.user.id' },
  ...WRONG_TYPES.filter(([, value]) => typeof value !== 'object').map(([what, value]) => ({
    name: `user.delete with user as ${what}`,
    request: userDelete(value),
    status: 400,
    code: '[missing]event.user.id',
  })),
  { name: 'user.delete with user as an array', request: userDelete([VICTIM]), status: 400, code: '[missing]event.user.id' },
  { name: 'user.delete with user.id null', request: userDelete({ id: null }), status: 400, code: '[missing]event.user.id' },
  ...WRONG_TYPES.map(([what, value]) => ({
    name: `user.delete with user.id as ${what}`,
    request: userDelete({ id: value }),
    status: 400,
    code: '[invalid]event.user.id',
  })),
  { name: 'user.registration.delete without applicationId', request: unregister({ user: { id: VICTIM } }), status: 400, code: '[missing]event.applicationId' },
  ...WRONG_TYPES.map(([what, value]) => ({
    name: `user.registration.delete with applicationId as ${what}`,
    request: unregister({ applicationId: value, user: { id: VICTIM } }),
    status: 400,
    code: '[invalid]event.applicationId',
  })),
  ...WRONG_TYPES.map(([what, value]) => ({
    name: `user.registration.delete with user.id as ${what}`,
    request: unregister({ applicationId: TODO_APP, user: { id: value } }),
    status: 400,
    code: '[invalid]event.user.id',
  })),
  ...WRONG_TYPES.map(([what, value]) => ({
    name: `event.id as ${what} (not needed: handled without its id)`,
    request: event({ type: 'user.delete.complete', id: value, user: { id: VICTIM } }),
    status: 200,
    deletes: VICTIM,
  })),
  // Prototype keys.
  { name: '__proto__ around the event', request: post(`{"__proto__":{"event":{"type":"user.delete.complete","user":{"id":"${VICTIM}"}}}}`), status: 400, code: '[missing]event' },
  { name: '__proto__ around the user', request: post(`{"event":{"type":"user.delete.complete","user":{"__proto__":{"id":"${VICTIM}"}}}}`), status: 400, code: '[missing]event.user.id' },
  { name: '__proto__ around the type', request: post('{"event":{"__proto__":{"type":"user.delete.complete"},"user":{"id":"x"}}}'), status: 400, code: '[missing]event.type' },
  { name: 'constructor as the user', request: post('{"event":{"type":"user.delete.complete","user":{"constructor":{"id":"x"}}}}'), status: 400, code: '[missing]event.user.id' },
  ...['__proto__', 'constructor', 'toString', 'hasOwnProperty', '__defineGetter__', 'valueOf'].map((type) => ({
    name: `type ${type}`,
    request: event({ type, user: { id: VICTIM } }),
    status: 200,
  })),
  { name: 'user id "__proto__" deletes that partition only', request: userDelete({ id: '__proto__' }), status: 200, deletes: '__proto__' },
  { name: 'user id "constructor" deletes that partition only', request: userDelete({ id: 'constructor' }), status: 200, deletes: 'constructor' },
  // Odd ids, and ids aimed at other partitions.
  ...['\u0000', `${VICTIM}\u0000`, `\u0000${VICTIM}`, 'a\u0007b', 'a\u001bb', 'a\u007fb', 'a\u0085b', 'a\nb', '\ud800', `${VICTIM}\udfff`, '\udc00\ud800', ' ', `${VICTIM} `, ` ${VICTIM}`, `\t${VICTIM}`, 'x'.repeat(256), 'x'.repeat(2048), 'é'.repeat(300)].map(
    (id) => ({ name: `user id ${JSON.stringify(id).slice(0, 40)}`, request: userDelete({ id }), status: 400, code: '[invalid]event.user.id' }),
  ),
  { name: 'user id "*" deletes the partition named "*" only', request: userDelete({ id: '*' }), status: 200, deletes: '*' },
  { name: 'user id in upper case deletes that exact partition only', request: userDelete({ id: VICTIM.toUpperCase() }), status: 200, deletes: VICTIM.toUpperCase() },
  { name: 'decomposed é is not normalised into é', request: userDelete({ id: 'e\u0301' }), status: 200, deletes: 'e\u0301' },
  { name: 'U+FFFD sent as itself', request: userDelete({ id: '\ufffd' }), status: 200, deletes: '\ufffd' },
  { name: 'a 255-character id', request: userDelete({ id: 'y'.repeat(255) }), status: 200, deletes: 'y'.repeat(255) },
  { name: 'right-to-left override in an id', request: userDelete({ id: `\u202e${VICTIM}` }), status: 200, deletes: `\u202e${VICTIM}` },
  { name: 'the victim, properly', request: userDelete({ id: VICTIM }), status: 200, deletes: VICTIM },
  { name: 'a registration for another application', request: unregister({ applicationId: 'a-different-app', user: { id: VICTIM } }), status: 200 },
  { name: 'a registration for the Todo application', request: unregister({ applicationId: TODO_APP, user: { id: VICTIM } }), status: 200, deletes: VICTIM },
  { name: 'the same id given twice in JSON: the last one counts', request: post(`{"event":{"type":"user.delete.complete","id":"twice","user":{"id":"${VICTIM}","id":"x"}}}`), status: 200, deletes: 'x' },
  // Credentials.
  { name: 'no Authorization header', request: post(example(), {}), status: 401, code: '[notAuthorized]' },
  { name: 'an empty key', request: post(example(), { authorization: '' }), status: 401 },
  { name: 'Bearer <key>', request: post(example(), { authorization: `Bearer ${TEST_KEY}` }), status: 401 },
  { name: 'Basic <key>', request: post(example(), { authorization: `Basic ${TEST_KEY}` }), status: 401 },
  { name: 'the key in upper case', request: post(example(), { authorization: TEST_KEY.toUpperCase() }), status: 401 },
  { name: 'the key with a space inside', request: post(example(), { authorization: `${TEST_KEY.slice(0, 5)} ${TEST_KEY.slice(5)}` }), status: 401 },
  { name: 'the key with a NUL after it', request: post(example(), { authorization: `${TEST_KEY}\u0000` }), status: 401 },
  { name: 'the key minus its last character', request: post(example(), { authorization: TEST_KEY.slice(0, -1) }), status: 401 },
  { name: 'the key twice, joined as API Gateway joins repeated headers', request: post(example(), { authorization: `${TEST_KEY},${TEST_KEY}` }), status: 401 },
  { name: 'the key and another, joined', request: post(example(), { authorization: `${TEST_KEY},other` }), status: 401 },
  { name: 'the key in X-Api-Key', request: post(example(), { 'x-api-key': TEST_KEY }), status: 401 },
  { name: 'the key with surrounding whitespace (not part of a field value, RFC 9110)', request: post(example(), { authorization: ` ${TEST_KEY}\t` }), status: 200, deletes: '00000000-0000-0001-0000-000000000000' },
  { name: 'REST API: AUTHORIZATION in capitals', request: { rest: post(example(), { AUTHORIZATION: TEST_KEY }) }, status: 200, deletes: '00000000-0000-0001-0000-000000000000' },
  { name: 'REST API: Authorization and authorization, both the key', request: { rest: post(example(), { Authorization: TEST_KEY, authorization: TEST_KEY }) }, status: 200, deletes: '00000000-0000-0001-0000-000000000000' },
  { name: 'REST API: Authorization and authorization, one wrong', request: { rest: post(example(), { Authorization: TEST_KEY, authorization: 'wrong' }) }, status: 401 },
  { name: 'REST API: Authorization wrong, authorization right', request: { rest: post(example(), { Authorization: 'wrong', authorization: TEST_KEY }) }, status: 401 },
  { name: 'a wrong key with a body that is not JSON', request: post('{', { authorization: 'wrong' }), status: 401 },
  { name: 'a wrong key with a 5 MiB body', request: post('x'.repeat(5 * MAX_BODY_BYTES), { authorization: 'wrong' }), status: 401 },
  // base64 bodies.
  ...['%%%', 'e30', 'e30==', 'e3 0=', 'ZXZlbnQ=\n', '====', 'e30=e30='].map((body) => ({
    name: `a body marked base64 that is not: ${JSON.stringify(body)}`,
    request: { body, isBase64Encoded: true, headers: key },
    status: 400,
    code: '[invalidBase64]',
  })),
  { name: 'a base64url body', request: { body: Buffer.from(passportEvent({ type: 'test', x: '>>>???' })).toString('base64url'), isBase64Encoded: true, headers: key }, status: 400, code: '[invalidBase64]' },
  { name: 'a bad base64 body with a wrong key', request: { body: '%%%', isBase64Encoded: true, headers: { authorization: 'wrong' } }, status: 401 },
  { name: 'a valid base64 body', request: { body: Buffer.from(example()).toString('base64'), isBase64Encoded: true, headers: key }, status: 200, deletes: '00000000-0000-0001-0000-000000000000' },
  // Methods and events that are not API Gateway's.
  ...['GET', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE', 'post', ''].map((method) => ({
    name: `method ${JSON.stringify(method)}`,
    request: { method, body: example(), headers: key },
    status: 405,
    code: '[methodNotAllowed]',
  })),
  ...[null, undefined, 0, 'POST', [], {}, { httpMethod: 7 }, { requestContext: { http: { method: ['POST'] } } }].map((raw) => ({
    name: `the Lambda event ${JSON.stringify(raw)}`,
    request: { raw },
    status: 405,
  })),
  { name: 'headers that are not strings', request: { raw: { ...httpApiEvent(post(example())), headers: { authorization: 7 } } }, status: 401 },
  { name: 'a body that is not a string', request: { raw: { ...httpApiEvent(post(example())), body: { event: { type: 'test' } } } }, status: 400, code: '[invalidJSON]' },
  { name: 'a text/plain content type', request: { body: passportEvent({ type: 'test' }), headers: { ...key, 'content-type': 'text/plain' } }, status: 200 },
  { name: 'a UTF-8 byte order mark', request: post(`\ufeff${passportEvent({ type: 'test' })}`), status: 200 },
];

let webhook: LocalWebhook;
const todos = () => snapshot(webhook.client, 'Todos');
const add = (userId: string) => addTodos(webhook.client, webhook.targets[0]!, { userId }, 3);
const owner = (row: string) => (JSON.parse(row) as { userId: { S: string } }).userId.S;

beforeAll(async () => {
  webhook = await startLocalWebhook();
  for (const partition of [...PARTITIONS, '00000000-0000-0001-0000-000000000000', 'y'.repeat(255), `\u202e${VICTIM}`]) await add(partition);
});
afterAll(() => webhook.close());

describe('hostile input', () => {
  it('has at least 100 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(100);
  });

  it.each(cases)('$name → $status', async ({ request, status, code, deletes }) => {
    const before = await todos();
    const lambdaEvent = 'raw' in request ? request.raw : 'rest' in request ? restApiEvent(request.rest) : httpApiEvent(request);

    const response = await webhook.handler(lambdaEvent);

    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toBe('application/json');
    const body = JSON.parse(response.body) as { errors?: { code: string; message: string }[] };
    if (status !== 200) expect(body.errors?.[0]?.code).toEqual(code ?? expect.any(String));
    expect(response.body).not.toMatch(/\n\s+at |\.ts:\d+/);
    const after = await todos();
    expect(after).toEqual(deletes === undefined ? before : before.filter((row) => owner(row) !== deletes));
    if (deletes !== undefined) {
      expect(before.some((row) => owner(row) === deletes)).toBe(true);
      await add(deletes);
    }
  });
});
