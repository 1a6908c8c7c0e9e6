import { readFile } from 'node:fs/promises';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AuthConfig } from '../../lambda/auth/authenticate.ts';
import type { ErasureLedger } from '../../lambda/erasure/ledger.ts';
import { WebhookError } from '../../lambda/errors.ts';
import { requireId } from '../../lambda/events/fields.ts';
import type { ResolvedTarget } from '../../lambda/targets/table-schema.ts';
import { addTodos, countTodos } from '../todo-admin.ts';
import type { DeliveryLog } from './delivery-log.ts';
import { deleteUserAsFusionAuth, listExamples, sendExample } from './send-example.ts';

export interface InspectorOptions {
  readonly deliveries: DeliveryLog;
  readonly webhookUrl: () => string;
  readonly auth: AuthConfig;
  readonly dynamoDb: DynamoDBClient;
  /** The Todo counter works on the first deletion target, keyed by the user id alone. */
  readonly firstTarget: ResolvedTarget;
  readonly ledger: ErasureLedger;
}

const PAGE = new URL('./page/', import.meta.url);
const STATIC: Record<string, [file: string, type: string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/inspector.css': ['inspector.css', 'text/css; charset=utf-8'],
  '/inspector.js': ['inspector.js', 'text/javascript; charset=utf-8'],
};
const EXAMPLES = new URL('../../examples/passport-events/', import.meta.url);

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The inspector at `/`: a page of the latest deliveries (live, over server-sent events) and of
 * the erasure ledger, a form that sends the example events with the right credentials or deletes
 * a user as FusionAuth does, and a Todo counter. It can send
 * signed events and write Todos, so it answers only this machine, and only JSON POSTs, which a
 * web page elsewhere cannot make without a preflight this server never grants.
 */
export function inspectorRoutes(options: InspectorOptions): RequestListener {
  return (request, response) => {
    route(request, response, options).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : error instanceof WebhookError ? error.statusCode : 500;
      json(response, status, { error: error instanceof Error ? error.message : String(error) });
    });
  };
}

async function route(request: IncomingMessage, response: ServerResponse, options: InspectorOptions): Promise<void> {
  if (!isLoopback(request.socket.remoteAddress)) throw new HttpError(404, 'Not Found');
  const { pathname } = new URL(request.url ?? '/', 'http://localhost');
  const method = request.method ?? 'GET';
  const file = STATIC[pathname];
  if (method === 'GET' && file) {
    response.writeHead(200, { 'content-type': file[1], 'cache-control': 'no-store' });
    response.end(await readFile(new URL(file[0], PAGE)));
    return;
  }
  if (method === 'GET' && pathname === '/api/deliveries') return json(response, 200, { deliveries: options.deliveries.latest() });
  if (method === 'GET' && pathname === '/api/deliveries/stream') return stream(request, response, options.deliveries);
  if (method === 'GET' && pathname === '/api/examples') return json(response, 200, { examples: await describeExamples() });
  if (method === 'POST' && pathname === '/api/send') {
    const { example, userId } = (await readJson(request)) as { example?: unknown; userId?: unknown };
    if (typeof example !== 'string' || !(await listExamples()).includes(example)) throw new HttpError(400, 'name one of the examples');
    const user = typeof userId === 'string' && userId !== '' ? requireId(userId, 'userId') : undefined;
    return json(response, 200, await sendExample(options.webhookUrl(), options.auth, example, user));
  }
  if (method === 'POST' && pathname === '/api/delete-user') {
    const { userId } = (await readJson(request)) as { userId?: unknown };
    return json(response, 200, await deleteUserAsFusionAuth(options.webhookUrl(), options.auth, requireId(userId, 'userId')));
  }
  if (method === 'GET' && pathname === '/api/erasures') {
    const { records } = await options.ledger.list({ limit: 200 });
    return json(response, 200, { erasures: [...records].sort((a, b) => b.updatedAt - a.updatedAt) });
  }
  const todos = /^\/api\/todos\/([^/]+)$/.exec(pathname);
  if (todos) {
    const userId = requireId(decodeURIComponent(todos[1]!), 'userId');
    const target = options.firstTarget;
    const needs = [target.partitionKey, ...target.sortKeyPrefixes].flatMap((template) => template.fields).find((field) => field !== 'userId');
    if (needs) throw new HttpError(400, `the first deletion target's key needs {${needs}}; the counter knows only the user id`);
    if (method === 'POST') {
      const { count } = (await readJson(request)) as { count?: unknown };
      if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > 10_000) throw new HttpError(400, 'count: 1 to 10000');
      await addTodos(options.dynamoDb, target, { userId }, count as number);
    }
    return json(response, 200, { userId, count: await countTodos(options.dynamoDb, target, { userId }) });
  }
  throw new HttpError(404, 'Not Found');
}

const isLoopback = (address: string | undefined): boolean =>
  address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';

async function describeExamples() {
  return Promise.all(
    (await listExamples()).map(async (name) => {
      const { event } = JSON.parse(await readFile(new URL(name, EXAMPLES), 'utf8')) as { event: { type?: string; user?: { id?: string } } };
      return { name, type: event.type, userId: event.user?.id };
    }),
  );
}

function stream(request: IncomingMessage, response: ServerResponse, deliveries: DeliveryLog): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  response.write(': connected\n\n');
  const stop = deliveries.subscribe((delivery) => response.write(`data: ${JSON.stringify(delivery)}\n\n`));
  // Proxies and browsers drop a silent stream; a comment line keeps it open.
  const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), 15_000);
  request.on('close', () => {
    clearInterval(keepAlive);
    stop();
  });
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  if (!request.headers['content-type']?.startsWith('application/json')) throw new HttpError(415, 'POST JSON');
  let text = '';
  for await (const chunk of request) {
    text += chunk;
    if (text.length > 64 * 1024) throw new HttpError(413, 'too large');
  }
  try {
    return JSON.parse(text) ?? {};
  } catch {
    throw new HttpError(400, 'not JSON');
  }
}

function json(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) return void response.end();
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}
