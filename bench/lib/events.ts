import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ROOT } from './paths.ts';

/** A user id that owns no Todos: the handler's user.delete work is then one empty Query. */
export const EMPTY_USER_ID = 'bench-user-without-todos';

/** FusionAuth's documented example payloads, as the repository ships them. */
const example = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(ROOT, 'examples/passport-events', name), 'utf8')) as Record<string, unknown>;

/** An event type the webhook has no handler for: the most common delivery (logins, refreshes). */
export const ignoredBody = (): string => JSON.stringify(example('user.login.success.json'));

/** FusionAuth's user.delete example, for `userId`. */
export function userDeleteBody(userId: string): string {
  const body = example('user.delete.json') as { event: { user: Record<string, unknown> } };
  body.event.user.id = userId;
  return JSON.stringify(body);
}

/**
 * The HTTP API (payload 2.0) event API Gateway hands the function for a POST of `body` with
 * `apiKey`: the repository's own sample event (events/user-delete.json, what `sam local invoke`
 * is given), with the body and key replaced.
 */
export function httpApiEvent(body: string, apiKey: string): APIGatewayProxyEventV2 {
  const event = JSON.parse(readFileSync(join(ROOT, 'events/user-delete.json'), 'utf8')) as APIGatewayProxyEventV2;
  event.headers = { ...event.headers, authorization: apiKey, 'content-length': String(Buffer.byteLength(body)) };
  event.body = body;
  event.isBase64Encoded = false;
  return event;
}
