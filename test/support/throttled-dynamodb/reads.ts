/**
 * Read metering: GetItem, BatchGetItem, Query and Scan. A read's cost depends on what it finds,
 * so a read is let in while its partition has any units left and charged afterwards for what it
 * read; the bucket may go into debt, which holds back the reads after it.
 */
import {
  type Call,
  type Context,
  capacityMode,
  consumedCapacity,
  fetchItems,
  type Handler,
  readsLessThanCharged,
  refusal,
  relay,
  type TableKey,
  tableKeyId,
  unprocessedKeys,
  withConsumedCapacity,
} from './context.ts';
import { isObject, itemSize, readUnits, type WireItem } from './item-size.ts';
import { type LimitType, type Partition, partitionOf } from './meter.ts';
import { parseJson, type Reply, withBody } from './protocol.ts';
import { itemPartition, placeholdersIn, primaryKey, queriedPartitionKey, readTarget, type TableSchema } from './schema.ts';

const isConsistent = (request: Record<string, unknown>): boolean => request.ConsistentRead === true;

/** GetItem: the item's size rounded up to 4 KB (a missing item: the minimum), halved unless consistent. */
export const getItem: Handler = async (context, call) => {
  const { request } = call;
  const schema = await context.schemas.get(request.TableName, call.headers);
  const key = schema && primaryKey(schema, request.Key);
  if (!schema || !key) return undefined;
  const partition = itemPartition(schema, key);
  const refused = context.meter.mayRead(partition);
  if (refused) return refusal(context, 'read', [[partition, refused]]);

  const reply = await relay(context, call);
  const body = reply.status === 200 ? parseJson(reply.body) : undefined;
  if (!isObject(body)) return { reply };
  let item = isObject(body.Item) ? body.Item : undefined;
  if (item && readsLessThanCharged(request)) {
    const whole = await fetchItems(context, call, [{ table: schema.name, key }], () => Object.keys(key));
    item = whole?.get(tableKeyId({ table: schema.name, key })) ?? item;
  }
  const units = readUnits(item ? itemSize(item) : 0, isConsistent(request));
  charge(context, partition, units, item ? 1 : 0);
  return { reply: withConsumedCapacity(reply, request, 'read', units, { table: schema.name }) };
};

/**
 * Query: the items it evaluated, whole (a projection, Select COUNT or a filter changes what comes
 * back, not what is charged), summed, rounded up to 4 KB, halved unless consistent; an empty
 * result costs the minimum. Metered on the partition of the table, or of the global secondary
 * index, it reads.
 */
export const query: Handler = async (context, call) => {
  const { request } = call;
  const schema = await context.schemas.get(request.TableName, call.headers);
  const target = schema && readTarget(schema, request.IndexName);
  const value = target && queriedPartitionKey(request, target.keys.partitionKey);
  if (!schema || !target || !value) return undefined;
  const partition = partitionOf(target.resource, value);
  const refused = context.meter.mayRead(partition);
  if (refused) return refusal(context, 'read', [[partition, refused]]);

  const reply = await relay(context, call);
  const items = await evaluatedItems(context, call, reply);
  if (items === undefined) return { reply };
  const units = readUnits(totalSize(items), isConsistent(request));
  charge(context, partition, units, items.length);
  return { reply: withConsumedCapacity(reply, request, 'read', units, spentOn(schema, request.IndexName)) };
};

/**
 * Scan: charged like a Query page, the units shared among the partitions whose items it read in
 * proportion to their bytes. A Scan has no single partition to refuse it on; only a provisioned
 * table's own bucket can hold it back.
 */
export const scan: Handler = async (context, call) => {
  const { request } = call;
  const schema = await context.schemas.get(request.TableName, call.headers);
  const target = schema && readTarget(schema, request.IndexName);
  if (!schema || !target) return undefined;
  const refused = context.meter.mayReadResource(target.resource);
  if (refused) return refusal(context, 'read', [[partitionOf(target.resource, {}), refused]]);

  const reply = await relay(context, call);
  const items = await evaluatedItems(context, call, reply);
  if (items === undefined) return { reply };
  const units = readUnits(totalSize(items), isConsistent(request));
  shareAmongPartitions(context, items, units, (item) => {
    const value = item[target.keys.partitionKey];
    return isObject(value) ? partitionOf(target.resource, value) : undefined;
  });
  if (items.length === 0) {
    context.meter.chargeResource(target.resource, 'read', units);
    context.stats.addUnattributed({ readUnits: units });
  }
  return { reply: withConsumedCapacity(reply, request, 'read', units, spentOn(schema, request.IndexName)) };
};

function shareAmongPartitions(
  context: Context,
  items: readonly WireItem[],
  units: number,
  partitionOfItem: (item: WireItem) => Partition | undefined,
): void {
  const shares = new Map<string, { partition: Partition; bytes: number; items: number }>();
  for (const item of items) {
    const partition = partitionOfItem(item);
    if (partition === undefined) continue;
    const share = shares.get(partition.id) ?? { partition, bytes: 0, items: 0 };
    share.bytes += itemSize(item);
    share.items += 1;
    shares.set(partition.id, share);
  }
  const bytes = [...shares.values()].reduce((sum, share) => sum + share.bytes, 0);
  for (const share of shares.values()) charge(context, share.partition, (units * share.bytes) / bytes, share.items);
}

/**
 * The items a Query or Scan page evaluated, whole. When the answer holds less (a projection, a
 * count, a filter), the same page is read again without them: same key condition, Limit and
 * ExclusiveStartKey, so the same items. Undefined when the answer is not a page.
 */
async function evaluatedItems(context: Context, call: Call, reply: Reply): Promise<WireItem[] | undefined> {
  const body = reply.status === 200 ? parseJson(reply.body) : undefined;
  if (!isObject(body)) return undefined;
  if (!readsLessThanCharged(call.request)) return itemsOf(body.Items);
  const whole = await context.backend.call(call.operation, wholePageRequest(call.request), call.headers);
  const wholeBody = whole.status === 200 ? parseJson(whole.body) : undefined;
  // Should the second read fail, charge what the answer showed rather than nothing.
  return isObject(wholeBody) ? itemsOf(wholeBody.Items) : itemsOf(body.Items);
}

/** The request without what narrows its answer, and without the placeholders only those used. */
function wholePageRequest(request: Record<string, unknown>): Record<string, unknown> {
  const {
    ProjectionExpression: _projection,
    AttributesToGet: _attributes,
    Select: _select,
    FilterExpression: _filter,
    QueryFilter: _queryFilter,
    ScanFilter: _scanFilter,
    ConditionalOperator: _conditional,
    ReturnConsumedCapacity: _capacity,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ...rest
  } = request;
  const used = placeholdersIn([rest.KeyConditionExpression]);
  const kept = (map: unknown) => {
    const entries = Object.entries(isObject(map) ? map : {}).filter(([placeholder]) => used.has(placeholder));
    return entries.length > 0 ? Object.fromEntries(entries) : undefined;
  };
  return { ...rest, ExpressionAttributeNames: kept(names), ExpressionAttributeValues: kept(values) };
}

/**
 * BatchGetItem: each key is its own GetItem (rounded up to 4 KB apiece, a missing item the
 * minimum). Keys whose partition has nothing left come back in UnprocessedKeys, with whatever
 * the backend left; when no key at all could be read the call is refused, as DynamoDB does.
 */
export const batchGetItem: Handler = async (context, call) => {
  const plan = await planBatchGet(context, call);
  if (plan === undefined) return undefined;
  const admitted: BatchKey[] = [];
  const waiting: BatchKey[] = [];
  const refused = new Map<string, [Partition, LimitType]>();
  for (const entry of plan.keys) {
    const limit = context.meter.mayRead(entry.partition);
    if (limit === undefined) admitted.push(entry);
    else {
      refused.set(entry.partition.id, [entry.partition, limit]);
      waiting.push(entry);
    }
  }
  if (admitted.length === 0) return refusal(context, 'read', refused.values());

  const forwarded = { ...call.request, RequestItems: keysByTable(plan.tables, admitted) };
  const reply = await context.backend.call('BatchGetItem', forwarded, call.headers);
  const body = reply.status === 200 ? parseJson(reply.body) : undefined;
  if (!isObject(body)) return { reply };
  const left = new Set(unprocessedKeys(body.UnprocessedKeys).map(tableKeyId));
  const read = admitted.filter((entry) => !left.has(tableKeyId(entry)));
  const found = await itemsRead(context, call, plan.tables, body, read);
  const spent = chargeKeys(context, plan.tables, read, found);
  const answer: Record<string, unknown> = {
    ...body,
    UnprocessedKeys: keysByTable(plan.tables, [...admitted.filter((entry) => left.has(tableKeyId(entry))), ...waiting]),
  };
  const mode = capacityMode(call.request);
  if (mode) answer.ConsumedCapacity = [...spent].map(([table, units]) => consumedCapacity('read', units, mode, { table }));
  return { reply: withBody(reply, answer), partial: waiting.length + left.size > 0 };
};

interface BatchKey extends TableKey {
  readonly partition: Partition;
}

/** A table's part of a BatchGetItem: its keys' schema and the parameters other than Keys. */
interface BatchTable {
  readonly schema: TableSchema;
  readonly parameters: Record<string, unknown>;
}

async function planBatchGet(context: Context, call: Call) {
  const requestItems = call.request.RequestItems;
  if (!isObject(requestItems)) return undefined;
  const tables = new Map<string, BatchTable>();
  const keys: BatchKey[] = [];
  for (const [table, entry] of Object.entries(requestItems)) {
    const schema = await context.schemas.get(table, call.headers);
    if (!schema || !isObject(entry) || !Array.isArray(entry.Keys)) return undefined;
    const { Keys: tableKeys, ...parameters } = entry;
    tables.set(table, { schema, parameters });
    for (const candidate of tableKeys as unknown[]) {
      const key = primaryKey(schema, candidate);
      if (!key) return undefined;
      keys.push({ table, key, partition: itemPartition(schema, key) });
    }
  }
  return keys.length > 0 ? { tables, keys } : undefined;
}

function keysByTable(tables: ReadonlyMap<string, BatchTable>, entries: readonly BatchKey[]) {
  const grouped: Record<string, Record<string, unknown>> = {};
  for (const entry of entries) {
    const group = (grouped[entry.table] ??= { ...tables.get(entry.table)?.parameters, Keys: [] });
    (group.Keys as WireItem[]).push(entry.key);
  }
  return grouped;
}

/** The whole items the batch read, by table and key: from the answer, or read again when it was projected. */
async function itemsRead(
  context: Context,
  call: Call,
  tables: ReadonlyMap<string, BatchTable>,
  body: Record<string, unknown>,
  read: readonly BatchKey[],
): Promise<Map<string, WireItem>> {
  const found = new Map<string, WireItem>();
  const responses = isObject(body.Responses) ? body.Responses : {};
  for (const [table, items] of Object.entries(responses)) {
    const schema = tables.get(table)?.schema;
    for (const item of Array.isArray(items) ? items : []) {
      const key = schema && primaryKey(schema, item);
      if (key && isObject(item)) found.set(tableKeyId({ table, key }), item);
    }
  }
  const projected = read.filter(
    (entry) => found.has(tableKeyId(entry)) && readsLessThanCharged(tables.get(entry.table)?.parameters ?? {}),
  );
  if (projected.length === 0) return found;
  const keyNames = (table: string) => {
    const schema = tables.get(table)?.schema;
    return schema ? [schema.partitionKey, ...(schema.sortKey ? [schema.sortKey] : [])] : [];
  };
  const whole = await fetchItems(context, call, projected, keyNames);
  for (const [id, item] of whole ?? []) found.set(id, item);
  return found;
}

/** Charges each key read; the units spent by table. */
function chargeKeys(
  context: Context,
  tables: ReadonlyMap<string, BatchTable>,
  read: readonly BatchKey[],
  found: ReadonlyMap<string, WireItem>,
): Map<string, number> {
  const spent = new Map<string, number>([...tables.keys()].map((table) => [table, 0]));
  for (const entry of read) {
    const item = found.get(tableKeyId(entry));
    const units = readUnits(item ? itemSize(item) : 0, isConsistent(tables.get(entry.table)?.parameters ?? {}));
    charge(context, entry.partition, units, item ? 1 : 0);
    spent.set(entry.table, (spent.get(entry.table) ?? 0) + units);
  }
  return spent;
}

function charge(context: Context, partition: Partition, units: number, items: number): void {
  context.meter.charge(partition, 'read', units);
  context.stats.add(partition, { readUnits: units, itemsRead: items });
}

const itemsOf = (items: unknown): WireItem[] => (Array.isArray(items) ? items.filter(isObject) : []);

const totalSize = (items: readonly WireItem[]): number => items.reduce((sum, item) => sum + itemSize(item), 0);

function spentOn(schema: TableSchema, indexName: unknown) {
  const index = typeof indexName === 'string' ? schema.indexes.get(indexName) : undefined;
  return { table: schema.name, index: index && { name: indexName as string, global: index.global } };
}
