import { DescribeTableCommand, type DynamoDBClient, type TableDescription } from '@aws-sdk/client-dynamodb';
import { ConfigurationError } from '../errors.ts';
import { type ResolvedTarget, resolveTarget } from './target-keys.ts';
import type { TargetsConfig } from './target-spec.ts';

export type { KeyAttribute, KeyType, ResolvedTarget } from './target-keys.ts';

/**
 * Describes each table once and binds every target to its keys, or refuses a target that names
 * a table or index that does not exist, or that only a Scan could find.
 */
export async function resolveTargets(client: DynamoDBClient, config: TargetsConfig): Promise<ResolvedTarget[]> {
  const tables = new Map<string, Promise<TableDescription>>();
  const describe = (table: string) => {
    let description = tables.get(table);
    if (!description) tables.set(table, (description = describeTable(client, table)));
    return description;
  };
  // Started together: a container's init waits for the slowest table, not for their sum.
  const descriptions = config.targets.map((target) => describe(target.table));
  return Promise.all(config.targets.map(async (target, n) => resolveTarget(target, await descriptions[n]!, config.shorthand)));
}

async function describeTable(client: DynamoDBClient, table: string): Promise<TableDescription> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    if (!Table) throw new Error('DescribeTable returned no table');
    return Table;
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') {
      throw new ConfigurationError(`The table ${table} of the deletion targets does not exist.`);
    }
    throw error;
  }
}

