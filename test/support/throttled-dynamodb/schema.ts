/**
 * Key schemas, learnt from the backend with DescribeTable: the front has to know which attribute
 * is the partition key to tell a request's partition.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isObject, type WireItem } from './item-size.ts';
import { type Partition, partitionOf, type Resource } from './meter.ts';
import { type Backend, parseJson } from './protocol.ts';

export interface KeySchema {
  readonly partitionKey: string;
  readonly sortKey?: string | undefined;
}

export interface IndexSchema extends KeySchema {
  /** A global index has capacity (and partitions) of its own; a local one shares its table's. */
  readonly global: boolean;
  readonly arn: string;
}

export interface TableSchema extends KeySchema {
  readonly name: string;
  readonly arn: string;
  readonly indexes: ReadonlyMap<string, IndexSchema>;
}

/** One DescribeTable per table, shared by the requests that wait on it; failures are not kept. */
export class SchemaCache {
  readonly #backend: Backend;
  readonly #tables = new Map<string, Promise<TableSchema | undefined>>();

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  /** The table's schema, or undefined when the backend cannot describe it (the request is then relayed as it is). */
  get(table: unknown, client: IncomingHttpHeaders): Promise<TableSchema | undefined> {
    if (typeof table !== 'string') return Promise.resolve(undefined);
    let schema = this.#tables.get(table);
    if (schema === undefined) {
      schema = this.#describe(table, client);
      this.#tables.set(table, schema);
      void schema.then((known) => {
        if (known === undefined && this.#tables.get(table) === schema) this.#tables.delete(table);
      });
    }
    return schema;
  }

  /** After CreateTable, UpdateTable or DeleteTable the table may not be what it was. */
  forget(table: unknown): void {
    if (typeof table === 'string') this.#tables.delete(table);
  }

  async #describe(table: string, client: IncomingHttpHeaders): Promise<TableSchema | undefined> {
    const reply = await this.#backend.call('DescribeTable', { TableName: table }, client).catch(() => undefined);
    if (reply?.status !== 200) return undefined;
    const description = (parseJson(reply.body) as { Table?: unknown } | undefined)?.Table;
    return isObject(description) ? tableSchema(table, description) : undefined;
  }
}

function tableSchema(name: string, table: Record<string, unknown>): TableSchema | undefined {
  const keys = keySchema(table.KeySchema);
  if (keys === undefined) return undefined;
  const arn = typeof table.TableArn === 'string' ? table.TableArn : `arn:aws:dynamodb:local:000000000000:table/${name}`;
  const indexes = new Map<string, IndexSchema>();
  for (const [list, global] of [
    [table.GlobalSecondaryIndexes, true],
    [table.LocalSecondaryIndexes, false],
  ] as const) {
    for (const index of Array.isArray(list) ? list : []) {
      const indexKeys = isObject(index) ? keySchema(index.KeySchema) : undefined;
      if (!isObject(index) || typeof index.IndexName !== 'string' || indexKeys === undefined) continue;
      const indexArn = typeof index.IndexArn === 'string' ? index.IndexArn : `${arn}/index/${index.IndexName}`;
      indexes.set(index.IndexName, { ...indexKeys, global, arn: indexArn });
    }
  }
  return { name, arn, ...keys, indexes };
}

function keySchema(elements: unknown): KeySchema | undefined {
  if (!Array.isArray(elements)) return undefined;
  const named = (type: string): string | undefined => {
    const element: unknown = elements.find((candidate) => isObject(candidate) && candidate.KeyType === type);
    return isObject(element) && typeof element.AttributeName === 'string' ? element.AttributeName : undefined;
  };
  const partitionKey = named('HASH');
  return partitionKey === undefined ? undefined : { partitionKey, sortKey: named('RANGE') };
}

/** Where a table's items live for metering: the table itself. */
export const tableResource = (schema: TableSchema): Resource => ({ table: schema.name, arn: schema.arn });

/**
 * Where a read through `indexName` is metered: a global index's own partitions, keyed by its own
 * partition key; a local index shares its table's partitions (same partition key, same capacity).
 */
export function readTarget(schema: TableSchema, indexName: unknown): { resource: Resource; keys: KeySchema } | undefined {
  if (indexName === undefined) return { resource: tableResource(schema), keys: schema };
  const index = typeof indexName === 'string' ? schema.indexes.get(indexName) : undefined;
  if (index === undefined) return undefined;
  return index.global
    ? { resource: { table: schema.name, index: indexName as string, arn: index.arn }, keys: index }
    : { resource: tableResource(schema), keys: index };
}

/** The primary key of an item or Key map: every key attribute present, nothing else; else undefined. */
export function primaryKey(schema: KeySchema, item: unknown): WireItem | undefined {
  if (!isObject(item)) return undefined;
  const key: WireItem = {};
  for (const name of [schema.partitionKey, schema.sortKey]) {
    if (name === undefined) continue;
    if (!isObject(item[name])) return undefined;
    key[name] = item[name];
  }
  return key;
}

/** The table partition an item (or key) belongs to. */
export function itemPartition(schema: TableSchema, key: WireItem): Partition {
  return partitionOf(tableResource(schema), key[schema.partitionKey] as Record<string, unknown>);
}

/** Equal keys give equal strings, whatever the order of their attributes. */
export const keyIdentity = (key: WireItem): string =>
  JSON.stringify(Object.keys(key).sort().map((name) => [name, key[name]]));

/**
 * The partition key value a Query asks for: from `KeyConditionExpression` (`#pk = :v`, either
 * side, with or without placeholders) or from the legacy `KeyConditions` (`EQ`).
 */
export function queriedPartitionKey(request: Record<string, unknown>, partitionKey: string): Record<string, unknown> | undefined {
  const names = isObject(request.ExpressionAttributeNames) ? request.ExpressionAttributeNames : {};
  const values = isObject(request.ExpressionAttributeValues) ? request.ExpressionAttributeValues : {};
  if (typeof request.KeyConditionExpression === 'string') {
    return equalityOperand(request.KeyConditionExpression, partitionKey, names, values);
  }
  const condition = isObject(request.KeyConditions) ? request.KeyConditions[partitionKey] : undefined;
  if (!isObject(condition) || condition.ComparisonOperator !== 'EQ' || !Array.isArray(condition.AttributeValueList)) {
    return undefined;
  }
  const [value]: unknown[] = condition.AttributeValueList;
  return isObject(value) ? value : undefined;
}

/** Placeholder names (`#n`) and values (`:v`), and bare attribute names, as an expression uses them. */
const TOKEN = /#\w+|:\w+|[A-Za-z_][\w.]*|<=|>=|<>|=|<|>|[(),]/g;

function equalityOperand(
  expression: string,
  attribute: string,
  names: Record<string, unknown>,
  values: Record<string, unknown>,
): Record<string, unknown> | undefined {
  const tokens = expression.match(TOKEN) ?? [];
  const isAttribute = (token: string | undefined) => token !== undefined && (names[token] ?? token) === attribute;
  const valueOf = (token: string | undefined) => {
    const value = token?.startsWith(':') ? values[token] : undefined;
    return isObject(value) ? value : undefined;
  };
  for (let i = 1; i < tokens.length - 1; i += 1) {
    if (tokens[i] !== '=') continue;
    const [left, right] = [tokens[i - 1], tokens[i + 1]];
    if (isAttribute(left) && valueOf(right)) return valueOf(right);
    if (isAttribute(right) && valueOf(left)) return valueOf(left);
  }
  return undefined;
}

/** The placeholders an expression refers to; what a pruned request must keep of its maps. */
export function placeholdersIn(expressions: readonly unknown[]): Set<string> {
  const used = new Set<string>();
  for (const expression of expressions) {
    if (typeof expression !== 'string') continue;
    for (const token of expression.match(/[#:]\w+/g) ?? []) used.add(token);
  }
  return used;
}
