import { ConfigurationError } from '../errors.ts';
import type { DeletionTarget, ShorthandTable } from './target-spec.ts';

export type KeyType = 'S' | 'N' | 'B';

interface KeySchemaElement {
  readonly AttributeName?: string;
  readonly KeyType?: string;
}

/**
 * What DescribeTable says of a table, as far as the checks read it: the AWS SDK's
 * TableDescription fits it, and so does what the CDK construct knows of a table it defines,
 * without the SDK.
 */
export interface TableDescription {
  readonly TableName?: string;
  readonly AttributeDefinitions?: readonly { readonly AttributeName?: string; readonly AttributeType?: string }[];
  readonly KeySchema?: readonly KeySchemaElement[];
  readonly GlobalSecondaryIndexes?: readonly { readonly IndexName?: string; readonly KeySchema?: readonly KeySchemaElement[] }[];
  readonly LocalSecondaryIndexes?: readonly { readonly IndexName?: string; readonly KeySchema?: readonly KeySchemaElement[] }[];
}

export interface KeyAttribute {
  readonly name: string;
  readonly type: KeyType;
}

/** A target bound to its table's real key schema: what a Query and a delete key are built from. */
export interface ResolvedTarget extends DeletionTarget {
  /** Set when the user's items are found through an index (named, or found by `attribute`). */
  readonly indexName: string | undefined;
  /** The keys of what is queried: the table's, or the index's. */
  readonly partition: KeyAttribute;
  readonly sort: KeyAttribute | undefined;
  /** The table's key attributes: every item is deleted by these, as DynamoDB returned them. */
  readonly tableKeys: readonly KeyAttribute[];
}

/**
 * The checks that need the table's description, and the binding: pure, so the CDK construct can
 * run them at synth on a table it defines (type imports only: no AWS SDK is loaded).
 */
export function resolveTarget(target: DeletionTarget, table: TableDescription, shorthand?: ShorthandTable): ResolvedTarget {
  const where = `Deletion target ${target.name}`;
  const types = new Map((table.AttributeDefinitions ?? []).map(({ AttributeName, AttributeType }) => [AttributeName!, AttributeType as KeyType]));
  const keysOf = (schema: readonly KeySchemaElement[] | undefined) => {
    const key = (role: 'HASH' | 'RANGE') => {
      const name = schema?.find(({ KeyType }) => KeyType === role)?.AttributeName;
      return name === undefined ? undefined : { name, type: types.get(name) ?? 'S' };
    };
    return { partition: key('HASH')!, sort: key('RANGE') };
  };
  const tableKeys = keysOf(table.KeySchema);
  const indexes = [...(table.GlobalSecondaryIndexes ?? []), ...(table.LocalSecondaryIndexes ?? [])].map((index) => ({
    name: index.IndexName!,
    ...keysOf(index.KeySchema),
  }));

  let queried: { name?: string; partition: KeyAttribute; sort: KeyAttribute | undefined };
  if (target.index) {
    const index = indexes.find(({ name }) => name === target.index);
    if (!index) {
      const names = indexes.map(({ name }) => name).join(', ') || 'none';
      throw new ConfigurationError(`${where}: table ${target.table} has no index ${target.index} (its indexes: ${names}).`);
    }
    queried = index;
  } else if (!target.attribute || tableKeys.partition.name === target.attribute) {
    queried = tableKeys;
  } else {
    const index = indexes.find(({ partition }) => partition.name === target.attribute);
    if (!index) {
      throw new ConfigurationError(
        `${where}: table ${target.table} is keyed by ${tableKeys.partition.name}, and no index has ${target.attribute} as its ` +
          `partition key, so only a Scan could find a user's items. Add a global secondary index on ${target.attribute} and name it in "index".`,
      );
    }
    queried = index;
  }
  if (target.attribute && queried.partition.name !== target.attribute) {
    throw new ConfigurationError(`${where}: index ${target.index} is keyed by ${queried.partition.name}, not ${target.attribute}.`);
  }
  if (shorthand?.sortKeyAttribute && tableKeys.sort?.name !== shorthand.sortKeyAttribute) {
    throw new ConfigurationError(
      `TODO_SORT_KEY_ATTRIBUTE is ${shorthand.sortKeyAttribute}, but table ${target.table}'s sort key is ${tableKeys.sort?.name ?? 'absent'}.`,
    );
  }
  if (target.sortKeyPrefixes.length > 0) {
    if (!queried.sort) throw new ConfigurationError(`${where} has sortKeyPrefixes, but what it queries has no sort key.`);
    if (queried.sort.type === 'N') {
      throw new ConfigurationError(`${where} has sortKeyPrefixes, but the sort key ${queried.sort.name} is a number, which begins_with cannot match.`);
    }
  }
  if (queried.partition.type === 'N' && (target.partitionKey.parts.length !== 1 || target.partitionKey.fields.length !== 1)) {
    throw new ConfigurationError(
      `${where}: the partition key ${queried.partition.name} is a number, so its template must be one field alone, e.g. "{user.data.appUserId}".`,
    );
  }
  return {
    ...target,
    indexName: queried.name,
    partition: queried.partition,
    sort: queried.sort,
    tableKeys: [tableKeys.partition, ...(tableKeys.sort ? [tableKeys.sort] : [])],
  };
}
