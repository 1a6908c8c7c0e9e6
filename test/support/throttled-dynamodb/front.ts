/** The HTTP front: takes a client's request, meters it if it can, answers or relays it. */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startDynalite } from '../../../local/dynamodb.ts';
import type { Call, Context, Handler, Outcome } from './context.ts';
import { isObject } from './item-size.ts';
import { type Capacity, DEFAULT_LIMITS, Meter, partitionOf, type ThroughputLimits } from './meter.ts';
import {
  Backend,
  jsonReply,
  parseJson,
  type Reply,
  TARGET_PREFIX,
  type ThrottlingErrorName,
  withoutFraming,
} from './protocol.ts';
import { batchGetItem, getItem, query, scan } from './reads.ts';
import { SchemaCache } from './schema.ts';
import { Stats, type ThrottleStats } from './stats.ts';
import { batchWriteItem, deleteItem, putItem, updateItem } from './writes.ts';

export interface ThrottledDynamoDbOptions {
  /** A running DynamoDB (http) to stand in front of; absent: an in-memory dynalite of the front's own. */
  readonly backend?: string | undefined;
  /** Limits, each defaulting to DynamoDB's published figure (see ThroughputLimits). */
  readonly limits?: Partial<ThroughputLimits> | undefined;
  /** Which error a refused request gets. Default ProvisionedThroughputExceededException. */
  readonly throttlingError?: ThrottlingErrorName | undefined;
  /** The clock buckets refill by, in milliseconds; a test passes one it moves by hand. Default performance.now. */
  readonly now?: (() => number) | undefined;
  /** Port on 127.0.0.1; default 0, a free one. */
  readonly port?: number | undefined;
}

export interface ThrottledDynamoDb {
  /** Where clients send DynamoDB requests: `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /**
   * The DynamoDB behind the front; requests sent there directly (seeding, checks) are not metered.
   * The front learns key schemas once per table: recreate a table with another key through the
   * front, not here, or it will go on metering by the old one.
   */
  readonly backendEndpoint: string;
  readonly stats: ThrottleStats;
  readonly limits: ThroughputLimits;
  /** Changes limits from now on; each bucket keeps what it holds, up to its new capacity. */
  setLimits(limits: Partial<ThroughputLimits>): void;
  /**
   * The units a partition has now (negative while a read has put it in debt): by table (and
   * global secondary index) and partition key value, `{ S: 'u1' }`, or a string for `S`.
   */
  available(capacity: Capacity, table: string, key: Record<string, unknown> | string, index?: string): number;
  /** Stops listening, ends every socket (the clients' and the backend's), and stops its own dynalite. */
  close(): Promise<void>;
}

const HANDLERS: Readonly<Record<string, Handler>> = {
  PutItem: putItem,
  UpdateItem: updateItem,
  DeleteItem: deleteItem,
  BatchWriteItem: batchWriteItem,
  GetItem: getItem,
  BatchGetItem: batchGetItem,
  Query: query,
  Scan: scan,
};

/** Operations after which a table's key schema may have changed. */
const SCHEMA_CHANGES = new Set(['CreateTable', 'UpdateTable', 'DeleteTable']);

/** DynamoDB takes at most 16 MB a request; past twice that the front stops reading. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** A throughput-limited DynamoDB: listening, with its backend started if it owns one. */
export async function startThrottledDynamoDb(options: ThrottledDynamoDbOptions = {}): Promise<ThrottledDynamoDb> {
  const ownBackend = options.backend === undefined ? await startDynalite(0, undefined, '127.0.0.1') : undefined;
  const backendEndpoint = options.backend ?? (ownBackend?.endpoint as string);
  const backend = new Backend(backendEndpoint);
  let limits: ThroughputLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const context: Context = {
    backend,
    schemas: new SchemaCache(backend),
    meter: new Meter(limits, options.now ?? (() => performance.now())),
    stats: new Stats(),
    throttlingError: options.throttlingError ?? 'ProvisionedThroughputExceededException',
  };
  const server = createServer((incoming, outgoing) => void serve(context, incoming, outgoing));
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    backendEndpoint,
    stats: context.stats,
    get limits() {
      return limits;
    },
    setLimits(changes) {
      limits = { ...limits, ...changes };
      context.meter.setLimits(limits);
    },
    available(capacity, table, key, index) {
      const value = typeof key === 'string' ? { S: key } : key;
      return context.meter.available(partitionOf({ table, index, arn: '' }, value), capacity);
    },
    async close() {
      await closeServer(server);
      backend.close();
      await ownBackend?.close();
    },
  };
}

async function serve(context: Context, incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> {
  const body = await readBody(incoming);
  if (body === undefined) {
    if (!outgoing.headersSent) outgoing.writeHead(413).end();
    incoming.destroy();
    return;
  }
  const target = incoming.headers['x-amz-target'];
  const operation =
    typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : undefined;
  let reply: Reply;
  try {
    const outcome = await handle(context, { incoming, body, operation });
    if (operation !== undefined) count(context, operation, outcome);
    reply = outcome.reply;
  } catch {
    // The backend is gone, or a bug: a DynamoDB-shaped 500, which the SDK retries, never a crash.
    reply = jsonReply(500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error' });
  }
  send(outgoing, reply);
}

async function handle(
  context: Context,
  { incoming, body, operation }: { incoming: IncomingMessage; body: Buffer; operation: string | undefined },
): Promise<Outcome> {
  const request = parseJson(body);
  const call: Call = {
    operation: operation ?? '',
    request: isObject(request) ? request : {},
    method: incoming.method ?? 'POST',
    path: incoming.url ?? '/',
    headers: incoming.headers,
    body,
  };
  const handler = operation === undefined || !isObject(request) ? undefined : HANDLERS[operation];
  const metered = handler && (await handler(context, call));
  if (metered) return metered;
  // Not metered (table management, malformed, or not meterable): the backend answers, untouched.
  const reply = await context.backend.relay(call.method, call.path, call.headers, call.body);
  if (operation !== undefined && SCHEMA_CHANGES.has(operation)) context.schemas.forget(call.request.TableName);
  return { reply };
}

function count(context: Context, operation: string, outcome: Outcome): void {
  if (outcome.refused) context.stats.refused(operation);
  else context.stats.admitted(operation, outcome.partial ?? false);
}

/** The whole body, or undefined when the client went away or sent more than any request can hold. */
function readBody(incoming: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    incoming.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        incoming.removeAllListeners('data');
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    incoming.on('error', () => resolve(undefined));
    incoming.on('aborted', () => resolve(undefined));
    incoming.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

function send(outgoing: ServerResponse, reply: Reply): void {
  if (outgoing.destroyed) return;
  outgoing.writeHead(reply.status, { ...withoutFraming(reply.headers), 'content-length': reply.body.length });
  outgoing.end(reply.body);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // Keep-alive sockets would hold close() open until the clients let go.
    server.closeAllConnections();
  });
}
