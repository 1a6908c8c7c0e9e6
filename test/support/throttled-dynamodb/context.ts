/** What the operation handlers share: the front's state, one client call, and the plumbing between. */
import type { IncomingHttpHeaders } from 'node:http';
import { isObject, type WireItem } from './item-size.ts';
import type { Capacity, LimitType, Meter, Partition } from './meter.ts';
import {
  type Backend,
  parseJson,
  type Reply,
  type ThrottlingErrorName,
  type ThrottlingReason,
  throttlingReason,
  throttlingReply,
  withBody,
} from './protocol.ts';
import { keyIdentity, type SchemaCache } from './schema.ts';
import type { Stats } from './stats.ts';

export interface Context {
  readonly backend: Backend;
  readonly schemas: SchemaCache;
  readonly meter: Meter;
  readonly stats: Stats;
  readonly throttlingError: ThrottlingErrorName;
}

/** One client request, parsed. */
export interface Call {
  readonly operation: string;
  readonly request: Record<string, unknown>;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A handler's answer, and what it counts as. */
export interface Outcome {
  readonly reply: Reply;
  /** Refused by the front (throttled). */
  readonly refused?: boolean;
  /** A batch admitted with some of it returned unprocessed. */
  readonly partial?: boolean;
}

/** Meters one operation; undefined when the request cannot be metered and goes on untouched. */
export type Handler = (context: Context, call: Call) => Promise<Outcome | undefined>;

/** The client's request, as it came. */
export const relay = (context: Context, call: Call): Promise<Reply> =>
  context.backend.relay(call.method, call.path, call.headers, call.body);

/** The throttling answer for the limits that refused the request. */
export function refusal(context: Context, capacity: Capacity, refused: Iterable<[Partition, LimitType]>): Outcome {
  const reasons = new Map<string, ThrottlingReason>();
  for (const [partition, limit] of refused) {
    const reason = throttlingReason(capacity, limit, partition.resource);
    reasons.set(`${reason.reason} ${reason.resource}`, reason);
  }
  return { reply: throttlingReply(context.throttlingError, [...reasons.values()]), refused: true };
}

/** Whether a read's answer holds less than DynamoDB charges for (it charges whole items, filtered or counted too). */
export const readsLessThanCharged = (request: Record<string, unknown>): boolean =>
  request.ProjectionExpression !== undefined ||
  request.AttributesToGet !== undefined ||
  request.FilterExpression !== undefined ||
  request.QueryFilter !== undefined ||
  request.ScanFilter !== undefined ||
  (request.Select !== undefined && request.Select !== 'ALL_ATTRIBUTES' && request.Select !== 'ALL_PROJECTED_ATTRIBUTES');

/** A key, addressed within its table. */
export interface TableKey {
  readonly table: string;
  readonly key: WireItem;
}

export const tableKeyId = ({ table, key }: TableKey): string => `${table}\u0000${keyIdentity(key)}`;

/** BatchGetItem's own limit on keys a call. */
const BATCH_GET_LIMIT = 100;
/** dynalite never leaves keys unprocessed; a real backend might, a few times. */
const FETCH_ROUNDS = 5;

/**
 * The whole items at `keys`, read strongly consistently from the backend (missing ones absent
 * from the map): what a delete or an overwrite will cost, or what a projected read really read.
 * Undefined when the backend would not say.
 */
export async function fetchItems(
  context: Context,
  call: Call,
  keys: readonly TableKey[],
  schemaKeys: (table: string) => readonly string[],
): Promise<Map<string, WireItem> | undefined> {
  const found = new Map<string, WireItem>();
  let pending = [...new Map(keys.map((key) => [tableKeyId(key), key])).values()];
  for (let round = 0; round < FETCH_ROUNDS && pending.length > 0; round += 1) {
    const next: TableKey[] = [];
    for (let start = 0; start < pending.length; start += BATCH_GET_LIMIT) {
      const left = await fetchBatch(context, call, pending.slice(start, start + BATCH_GET_LIMIT), schemaKeys, found);
      if (left === undefined) return undefined;
      next.push(...left);
    }
    pending = next;
  }
  return pending.length === 0 ? found : undefined;
}

/** One BatchGetItem of up to 100 keys; the keys it left unprocessed. */
async function fetchBatch(
  context: Context,
  call: Call,
  keys: readonly TableKey[],
  schemaKeys: (table: string) => readonly string[],
  found: Map<string, WireItem>,
): Promise<TableKey[] | undefined> {
  const requestItems: Record<string, { Keys: WireItem[]; ConsistentRead: true }> = {};
  for (const { table, key } of keys) (requestItems[table] ??= { Keys: [], ConsistentRead: true }).Keys.push(key);
  const reply = await context.backend.call('BatchGetItem', { RequestItems: requestItems }, call.headers);
  const body = reply.status === 200 ? parseJson(reply.body) : undefined;
  if (!isObject(body)) return undefined;
  const responses = isObject(body.Responses) ? body.Responses : {};
  for (const [table, items] of Object.entries(responses)) {
    for (const item of Array.isArray(items) ? items : []) {
      if (!isObject(item)) continue;
      const key = Object.fromEntries(schemaKeys(table).map((name) => [name, item[name]]));
      found.set(tableKeyId({ table, key }), item);
    }
  }
  return unprocessedKeys(body.UnprocessedKeys);
}

/** The keys of a BatchGetItem answer's UnprocessedKeys. */
export function unprocessedKeys(unprocessed: unknown): TableKey[] {
  const left: TableKey[] = [];
  for (const [table, entry] of Object.entries(isObject(unprocessed) ? unprocessed : {})) {
    const keys: unknown = isObject(entry) ? entry.Keys : undefined;
    for (const key of Array.isArray(keys) ? keys : []) if (isObject(key)) left.push({ table, key });
  }
  return left;
}

/** Whether the client asked for ConsumedCapacity, and how much of it. */
export function capacityMode(request: Record<string, unknown>): 'TOTAL' | 'INDEXES' | undefined {
  const mode = request.ReturnConsumedCapacity;
  return mode === 'TOTAL' || mode === 'INDEXES' ? mode : undefined;
}

/** Where units were spent, for ConsumedCapacity's INDEXES breakdown. */
export interface SpentOn {
  readonly table: string;
  readonly index?: { readonly name: string; readonly global: boolean } | undefined;
}

/** ConsumedCapacity as DynamoDB returns it, with the front's own figures. */
export function consumedCapacity(capacity: Capacity, units: number, mode: 'TOTAL' | 'INDEXES', spentOn: SpentOn) {
  const field = capacity === 'read' ? 'ReadCapacityUnits' : 'WriteCapacityUnits';
  const figures = { CapacityUnits: units, [field]: units };
  const consumed: Record<string, unknown> = { TableName: spentOn.table, ...figures };
  if (mode === 'INDEXES') {
    if (spentOn.index === undefined) consumed.Table = figures;
    else consumed[spentOn.index.global ? 'GlobalSecondaryIndexes' : 'LocalSecondaryIndexes'] = { [spentOn.index.name]: figures };
  }
  return consumed;
}

/** The backend's answer with ConsumedCapacity replaced by the front's, when the client asked for it. */
export function withConsumedCapacity(
  reply: Reply,
  request: Record<string, unknown>,
  capacity: Capacity,
  units: number,
  spentOn: SpentOn,
): Reply {
  const mode = capacityMode(request);
  const body = parseJson(reply.body);
  if (mode === undefined || !isObject(body)) return reply;
  return withBody(reply, { ...body, ConsumedCapacity: consumedCapacity(capacity, units, mode, spentOn) });
}
