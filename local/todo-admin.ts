import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  type DynamoDBClient,
  paginateQuery,
  type QueryCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { planErasure, type TargetQuery } from '../lambda/targets/erasure-plan.ts';
import type { FieldValues } from '../lambda/targets/key-template.ts';
import type { KeyAttribute, ResolvedTarget } from '../lambda/targets/table-schema.ts';
import { writeAll } from './write-all.ts';

export interface NewTodos {
  /** Pads each Todo's text to about this many bytes, so a Query takes several pages. */
  readonly sizeBytes?: number;
}

/**
 * Writes `count` Todos of a user where `target` finds them: under the rendered partition key (of
 * the table, or of the index the target reads), with the first sort-key prefix if it has any.
 */
export async function addTodos(
  client: DynamoDBClient,
  target: ResolvedTarget,
  values: FieldValues,
  count: number,
  { sizeBytes = 0 }: NewTodos = {},
): Promise<void> {
  const [query] = planErasure([target], values);
  const padding = 'x'.repeat(Math.max(0, sizeBytes - 100));
  const started = Date.now();
  const requests: WriteRequest[] = Array.from({ length: count }, (_, n) => {
    const unique = randomUUID();
    const item: Record<string, AttributeValue> = {
      title: { S: `Todo ${n + 1}${padding && ` ${padding}`}` },
      done: { BOOL: false },
      createdAt: { S: new Date(started + n).toISOString() },
    };
    // The table's own keys first: for an index target they are not the user's, just unique.
    for (const key of target.tableKeys) item[key.name] = uniqueValue(key, unique, started * 1000 + n);
    item[target.partition.name] = query!.partitionValue;
    if (target.sort && query!.prefixes[0]) item[target.sort.name] = withPrefix(query!.prefixes[0], unique);
    else if (target.sort && target.indexName) item[target.sort.name] = uniqueValue(target.sort, unique, started * 1000 + n);
    return { PutRequest: { Item: item } };
  });
  await writeAll(client, target.table, requests);
}

/** How many of the user's items the target finds, by the same Queries an erasure makes. */
export async function countTodos(client: DynamoDBClient, target: ResolvedTarget, values: FieldValues): Promise<number> {
  let count = 0;
  for (const input of queriesOf(planErasure([target], values)[0]!)) {
    for await (const page of paginateQuery({ client }, { ...input, Select: 'COUNT' })) count += page.Count ?? 0;
  }
  return count;
}

export async function listTodos(client: DynamoDBClient, target: ResolvedTarget, values: FieldValues): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  for (const input of queriesOf(planErasure([target], values)[0]!)) {
    for await (const page of paginateQuery({ client }, input)) items.push(...(page.Items ?? []));
  }
  return items;
}

function queriesOf({ target, partitionValue, prefixes }: TargetQuery): QueryCommandInput[] {
  const base = {
    TableName: target.table,
    IndexName: target.indexName,
    ConsistentRead: target.indexName ? undefined : true,
  };
  if (prefixes.length === 0) {
    return [{ ...base, KeyConditionExpression: '#pk = :pk', ExpressionAttributeNames: { '#pk': target.partition.name }, ExpressionAttributeValues: { ':pk': partitionValue } }];
  }
  return prefixes.map((prefix) => ({
    ...base,
    KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
    ExpressionAttributeNames: { '#pk': target.partition.name, '#sk': target.sort!.name },
    ExpressionAttributeValues: { ':pk': partitionValue, ':prefix': prefix },
  }));
}

const uniqueValue = (key: KeyAttribute, unique: string, number: number): AttributeValue =>
  key.type === 'N' ? { N: String(number) } : key.type === 'B' ? { B: Buffer.from(unique) } : { S: unique };

const withPrefix = (prefix: AttributeValue, unique: string): AttributeValue =>
  prefix.B ? { B: Buffer.concat([prefix.B, Buffer.from(unique)]) } : { S: `${prefix.S}${unique}` };
