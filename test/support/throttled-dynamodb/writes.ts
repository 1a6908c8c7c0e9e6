/**
 * Write metering: PutItem, UpdateItem, DeleteItem and BatchWriteItem. A write's cost is known
 * before it runs (the front reads the item it will replace or delete), so a write is admitted
 * only when its partition can pay for it in full.
 */
import {
  type Call,
  type Context,
  capacityMode,
  consumedCapacity,
  fetchItems,
  type Handler,
  type Outcome,
  refusal,
  relay,
  type TableKey,
  tableKeyId,
  withConsumedCapacity,
} from './context.ts';
import { isObject, itemSize, type WireItem, writeUnits } from './item-size.ts';
import type { LimitType, Partition } from './meter.ts';
import { errorName, parseJson, withBody } from './protocol.ts';
import { itemPartition, primaryKey, type TableSchema } from './schema.ts';

/** DynamoDB's limit on the put and delete requests in one BatchWriteItem. */
const BATCH_WRITE_LIMIT = 25;

type WriteKind = 'put' | 'update' | 'delete';

export const putItem: Handler = (context, call) => singleWrite(context, call, 'put');
export const updateItem: Handler = (context, call) => singleWrite(context, call, 'update');
export const deleteItem: Handler = (context, call) => singleWrite(context, call, 'delete');

/**
 * One write. Its cost: the larger of the item before and after, in KB rounded up, 1 at least (a
 * delete: the item deleted; a put: the larger of the new item and the one it replaces; an
 * update: the larger of before and after, "after" learnt once it has run, the difference
 * charged then). A failed condition still costs the existing item's size, 1 at least.
 */
async function singleWrite(context: Context, call: Call, kind: WriteKind): Promise<Outcome | undefined> {
  const { request } = call;
  const schema = await context.schemas.get(request.TableName, call.headers);
  const key = schema && primaryKey(schema, kind === 'put' ? request.Item : request.Key);
  if (!schema || !key) return undefined;
  const before = await storedSize(context, call, schema, key);
  if (before === undefined) return undefined;

  const partition = itemPartition(schema, key);
  let units = writeUnits(Math.max(before, kind === 'put' ? itemSize(request.Item) : 0));
  const refused = context.meter.tryWrite(partition, units);
  if (refused) {
    context.stats.add(partition, { itemsRefused: 1 });
    return refusal(context, 'write', [[partition, refused]]);
  }

  const reply = await spending(context, [[partition, units]], () => relay(context, call));
  const error = errorName(reply);
  if (reply.status === 200) {
    if (kind === 'update') units += await chargeGrowth(context, call, schema, key, partition, before, units);
    context.stats.add(partition, { writeUnits: units, itemsWritten: 1 });
    return { reply: withConsumedCapacity(reply, request, 'write', units, { table: schema.name }) };
  }
  const spent = error === 'ConditionalCheckFailedException' ? writeUnits(before) : 0;
  context.meter.refund(partition, 'write', units - spent);
  context.stats.add(partition, { writeUnits: spent });
  return { reply };
}

/** What an update cost beyond its estimate once its item turned out larger; charged, possibly into debt. */
async function chargeGrowth(
  context: Context,
  call: Call,
  schema: TableSchema,
  key: WireItem,
  partition: Partition,
  before: number,
  charged: number,
): Promise<number> {
  const after = await storedSize(context, call, schema, key);
  const growth = after === undefined ? 0 : writeUnits(Math.max(before, after)) - charged;
  if (growth <= 0) return 0;
  context.meter.charge(partition, 'write', growth);
  return growth;
}

/** The size of the item stored at `key` (0 when there is none); undefined when the backend would not say. */
async function storedSize(context: Context, call: Call, schema: TableSchema, key: WireItem): Promise<number | undefined> {
  const found = await fetchItems(context, call, [{ table: schema.name, key }], () => keyNames(schema));
  if (found === undefined) return undefined;
  const item = found.get(tableKeyId({ table: schema.name, key }));
  return item === undefined ? 0 : itemSize(item);
}

const keyNames = (schema: TableSchema): string[] =>
  schema.sortKey === undefined ? [schema.partitionKey] : [schema.partitionKey, schema.sortKey];

/** Runs the backend call; if it fails outright, the units taken for it are given back. */
async function spending<T>(context: Context, spent: readonly [Partition, number][], send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    for (const [partition, units] of spent) context.meter.refund(partition, 'write', units);
    throw error;
  }
}

/** One put or delete of a batch, in the order the client sent it. */
interface BatchEntry {
  readonly order: number;
  readonly table: string;
  /** The WriteRequest as the client sent it: what goes on, or back in UnprocessedItems. */
  readonly writeRequest: Record<string, unknown>;
  readonly key: WireItem;
  readonly partition: Partition;
  readonly units: number;
}

/**
 * BatchWriteItem: each put or delete is metered as the single write it is. In the order sent,
 * each is done if its partition can pay for it; once a partition cannot, the rest of that
 * partition's writes in the batch wait too (a partition does not skip ahead to a cheaper item).
 * Only what was afforded goes to the backend; the rest comes back in UnprocessedItems with
 * whatever the backend itself left. When nothing at all could be afforded the whole call is
 * refused, as DynamoDB does.
 */
export const batchWriteItem: Handler = async (context, call) => {
  const plan = await planBatch(context, call);
  if (plan === undefined) return undefined;
  const { entries, schemas } = plan;

  const admitted: BatchEntry[] = [];
  const waiting: BatchEntry[] = [];
  const refused = new Map<string, [Partition, LimitType]>();
  for (const entry of entries) {
    const limit = refused.get(entry.partition.id)?.[1] ?? context.meter.tryWrite(entry.partition, entry.units);
    if (limit === undefined) admitted.push(entry);
    else {
      refused.set(entry.partition.id, [entry.partition, limit]);
      waiting.push(entry);
    }
  }
  if (admitted.length === 0) {
    for (const entry of entries) context.stats.add(entry.partition, { itemsRefused: 1 });
    return refusal(context, 'write', refused.values());
  }
  return sendBatch(context, call, schemas, admitted, waiting);
};

async function sendBatch(
  context: Context,
  call: Call,
  schemas: ReadonlyMap<string, TableSchema>,
  admitted: BatchEntry[],
  waiting: BatchEntry[],
): Promise<Outcome> {
  const spent = admitted.map((entry): [Partition, number] => [entry.partition, entry.units]);
  const forwarded = { ...call.request, RequestItems: groupByTable(admitted) };
  const reply = await spending(context, spent, () => context.backend.call('BatchWriteItem', forwarded, call.headers));
  const body = reply.status === 200 ? parseJson(reply.body) : undefined;
  if (!isObject(body)) {
    for (const [partition, units] of spent) context.meter.refund(partition, 'write', units);
    return { reply };
  }

  const leftByBackend = new Set(unprocessedWrites(body.UnprocessedItems, schemas, admitted));
  const done: BatchEntry[] = [];
  for (const entry of admitted) {
    if (leftByBackend.has(entry)) {
      context.meter.refund(entry.partition, 'write', entry.units);
      waiting.push(entry);
    } else {
      context.stats.add(entry.partition, { writeUnits: entry.units, itemsWritten: 1 });
      done.push(entry);
    }
  }
  for (const entry of waiting) context.stats.add(entry.partition, { itemsUnprocessed: 1 });
  waiting.sort((a, b) => a.order - b.order);
  const answer: Record<string, unknown> = { ...body, UnprocessedItems: groupByTable(waiting) };
  const mode = capacityMode(call.request);
  if (mode) answer.ConsumedCapacity = batchCapacity(call.request, done, mode);
  return { reply: withBody(reply, answer), partial: waiting.length > 0 };
}

/** Which admitted entries the backend returned in its own UnprocessedItems, matched by table and key. */
function unprocessedWrites(
  unprocessed: unknown,
  schemas: ReadonlyMap<string, TableSchema>,
  admitted: BatchEntry[],
): BatchEntry[] {
  const byId = new Map(admitted.map((entry) => [tableKeyId(entry), entry]));
  const left: BatchEntry[] = [];
  for (const [table, writeRequests] of Object.entries(isObject(unprocessed) ? unprocessed : {})) {
    const schema = schemas.get(table);
    for (const writeRequest of Array.isArray(writeRequests) ? writeRequests : []) {
      const key = schema && isObject(writeRequest) ? writeTarget(schema, writeRequest) : undefined;
      const entry = key && byId.get(tableKeyId({ table, key }));
      if (entry) left.push(entry);
    }
  }
  return left;
}

function batchCapacity(request: Record<string, unknown>, done: BatchEntry[], mode: 'TOTAL' | 'INDEXES') {
  const tables = isObject(request.RequestItems) ? Object.keys(request.RequestItems) : [];
  return tables.map((table) => {
    const units = done.filter((entry) => entry.table === table).reduce((sum, entry) => sum + entry.units, 0);
    return consumedCapacity('write', units, mode, { table });
  });
}

function groupByTable(entries: readonly BatchEntry[]): Record<string, Record<string, unknown>[]> {
  const grouped: Record<string, Record<string, unknown>[]> = {};
  for (const entry of entries) (grouped[entry.table] ??= []).push(entry.writeRequest);
  return grouped;
}

/**
 * The batch's writes with their partitions and costs, or undefined when the request is not a
 * well-formed batch the front can meter (it then goes on untouched and the backend answers it,
 * ValidationException and all).
 */
async function planBatch(
  context: Context,
  call: Call,
): Promise<{ entries: BatchEntry[]; schemas: Map<string, TableSchema> } | undefined> {
  const requestItems = call.request.RequestItems;
  if (!isObject(requestItems)) return undefined;
  const parsed: Omit<BatchEntry, 'units' | 'order'>[] = [];
  const schemas = new Map<string, TableSchema>();
  for (const [table, writeRequests] of Object.entries(requestItems)) {
    const schema = await context.schemas.get(table, call.headers);
    if (!schema || !Array.isArray(writeRequests)) return undefined;
    schemas.set(table, schema);
    for (const writeRequest of writeRequests) {
      const target = isObject(writeRequest) ? writeTarget(schema, writeRequest) : undefined;
      if (!target || !isObject(writeRequest)) return undefined;
      parsed.push({ table, writeRequest, key: target, partition: itemPartition(schema, target) });
    }
  }
  const ids = new Set(parsed.map(tableKeyId));
  if (parsed.length === 0 || parsed.length > BATCH_WRITE_LIMIT || ids.size !== parsed.length) return undefined;

  const keyNamesOf = (table: string) => keyNames(schemas.get(table) as TableSchema);
  const stored = await fetchItems(context, call, parsed as TableKey[], keyNamesOf);
  if (stored === undefined) return undefined;
  const entries = parsed.map((entry, order) => {
    const existing = stored.get(tableKeyId(entry));
    const put = isObject(entry.writeRequest.PutRequest) ? itemSize(entry.writeRequest.PutRequest.Item) : 0;
    return { ...entry, order, units: writeUnits(Math.max(put, existing === undefined ? 0 : itemSize(existing))) };
  });
  return { entries, schemas };
}

/** The key a WriteRequest writes: exactly one of a PutRequest with an Item or a DeleteRequest with a Key. */
function writeTarget(schema: TableSchema, writeRequest: Record<string, unknown>): WireItem | undefined {
  const { PutRequest: put, DeleteRequest: del } = writeRequest;
  if (Object.keys(writeRequest).length !== 1) return undefined;
  if (isObject(put)) return primaryKey(schema, put.Item);
  if (isObject(del)) return primaryKey(schema, del.Key);
  return undefined;
}
