import { type AttributeValue, type DynamoDBClient, ScanCommand, type ScanCommandInput } from '@aws-sdk/client-dynamodb';
import type { TargetKeyReader } from './key-inverse.ts';

export type Key = Record<string, AttributeValue>;

export interface ScanPage {
  readonly items: readonly Key[];
  /** Where the segment goes on; undefined once it is done. */
  readonly next: Key | undefined;
}

export interface PageRequest {
  readonly segment: number;
  readonly totalSegments: number;
  readonly startKey?: Key;
  /** Items per page at most; DynamoDB's 1 MB limit applies either way. */
  readonly limit?: number;
  readonly signal?: AbortSignal;
}

/**
 * The Scan input for one page of one segment of what `reader`'s target reads (the table, or the
 * index its items are found by), projecting only the key attributes the owner is read from: the
 * same request a bare parallel Scan would make, and all a reconcile needs of the items.
 */
export function scanInput(reader: TargetKeyReader, { segment, totalSegments, startKey, limit }: PageRequest): ScanCommandInput {
  const names = Object.fromEntries(reader.attributes.map((name, n) => [`#k${n}`, name]));
  return {
    TableName: reader.target.table,
    IndexName: reader.target.indexName,
    Segment: segment,
    TotalSegments: totalSegments,
    ProjectionExpression: Object.keys(names).join(', '),
    ExpressionAttributeNames: names,
    ExclusiveStartKey: startKey,
    Limit: limit,
  };
}

export async function scanPage(client: DynamoDBClient, reader: TargetKeyReader, request: PageRequest): Promise<ScanPage> {
  const page = await client.send(new ScanCommand(scanInput(reader, request)), { abortSignal: request.signal });
  return { items: page.Items ?? [], next: page.LastEvaluatedKey };
}

/**
 * Every page of the target, its `totalSegments` segments side by side; `onPage` is awaited before
 * the segment reads on, so a slow consumer (FusionAuth's rate limit) holds the Scan back rather
 * than pages piling up in memory.
 */
export async function scanAllPages(
  client: DynamoDBClient,
  reader: TargetKeyReader,
  totalSegments: number,
  onPage: (items: readonly Key[]) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  await Promise.all(
    Array.from({ length: totalSegments }, async (_, segment) => {
      let startKey: Key | undefined;
      do {
        if (signal?.aborted) return;
        const page = await scanPage(client, reader, { segment, totalSegments, startKey, signal });
        await onPage(page.items);
        startKey = page.next;
      } while (startKey);
    }),
  );
}

/**
 * A Scan's position as JSON (a job message carries it): AttributeValues with binary as base64,
 * the only kind JSON cannot hold as it is.
 */
export function encodeKey(key: Key | undefined): string | undefined {
  if (!key) return undefined;
  return JSON.stringify(
    Object.fromEntries(Object.entries(key).map(([name, value]) => [name, value.B !== undefined ? { B64: Buffer.from(value.B).toString('base64') } : value])),
  );
}

export function decodeKey(text: string | undefined): Key | undefined {
  if (text === undefined) return undefined;
  const parsed = JSON.parse(text) as Record<string, { S?: string; N?: string; B64?: string }>;
  return Object.fromEntries(
    Object.entries(parsed).map(([name, value]) => [
      name,
      value.B64 !== undefined ? { B: Buffer.from(value.B64, 'base64') } : value.N !== undefined ? { N: value.N } : { S: String(value.S) },
    ]),
  );
}
