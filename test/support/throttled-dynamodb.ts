/**
 * A throughput-limited DynamoDB: an HTTP front on 127.0.0.1 that relays DynamoDB JSON 1.0
 * requests to a local DynamoDB (dynalite, which has no limits) and meters them the way DynamoDB
 * does, answering past the limit the way DynamoDB does. Tests and benchmarks point an ordinary
 * `DynamoDBClient` at `endpoint` to see how code behaves at a hot partition, in seconds, with the
 * limits scaled down. No vitest in here: `bench/` uses it too.
 *
 * The model, with the Amazon DynamoDB Developer Guide pages it follows:
 *
 * - **Partitions** (bp-partition-key-design, burst-adaptive-capacity): a partition is a table, or a
 *   global secondary index, and one partition key value; a local secondary index shares its
 *   table's. Each has a write bucket and a read bucket refilling at its hard maximum, by default
 *   DynamoDB's 1,000 write and 3,000 read units a second, holding `partitionBucketSeconds` (1) of
 *   it. Reads and writes are limited independently, as the guide says they are.
 * - **Burst capacity** (burst-adaptive-capacity; re:Post "dynamodb-spiky-workloads-short-intervals"):
 *   DynamoDB keeps up to 300 s of *unused provisioned* capacity, but burst "can't alleviate
 *   partition-level throttling": nothing lifts a partition past its per-partition maximum. So burst
 *   belongs to the optional `provisioned` layer (a provisioned table's, or index's, units a second,
 *   one bucket holding `burstSeconds`, default 300, shared by its partitions as adaptive capacity
 *   lets a hot partition use it all); a request must fit both that and its partition's bucket.
 *   Without `provisioned` (on demand) only the partition maximum applies.
 * - **Item size** (CapacityUnitCalculations): UTF-8 bytes of each attribute name plus its value;
 *   numbers 1 byte per 2 significant digits plus 1; binary its raw bytes; null and Boolean 1;
 *   lists and maps 3 bytes plus 1 per element. (Sets: the sum of their members; the guide is silent.)
 * - **Write units** (read-write-operations): 1 per KB, rounded up, 1 at least, per item. A put costs
 *   the larger of the new item and the one it replaces, an update the larger of before and after, a
 *   delete the item it deletes (a missing one: 1). The front reads the stored item from the backend
 *   first to know. A failed condition costs the existing item's size (1 at least). A write is admitted
 *   only when its bucket can pay for it whole (a full bucket pays for anything, so an item costlier
 *   than a scaled-down bucket still gets written); otherwise it is refused.
 * - **BatchWriteItem** (API_BatchWriteItem, Programming.Errors#BatchOperations): each put or delete
 *   is metered as its own write, in the order sent; once a partition cannot pay for one, its later
 *   ones in the batch wait too. Only the afforded ones go to the backend; the rest come back in
 *   `UnprocessedItems` (HTTP 200), merged with anything the backend left. When none could be
 *   afforded the call is refused.
 * - **Read units** (read-write-operations): whole items are charged, whatever the projection,
 *   `Select: COUNT` or filter (the front reads the page again without them to learn the sizes).
 *   GetItem and each BatchGetItem key: the item rounded up to 4 KB; Query and Scan: the page's items
 *   summed, then rounded up to 4 KB; halved, after rounding, unless `ConsistentRead: true` (so 10 KB
 *   eventually consistent is 1.5 units, the figure DynamoDB reports). Reading nothing costs the
 *   minimum (1, or 0.5). The cost of a read is only known once it has run, so a read is admitted
 *   while its partition has anything left and charged afterwards for what it read; the bucket can go
 *   into debt, and the reads after it wait until it refills. BatchGetItem returns the keys of
 *   partitions with nothing left in `UnprocessedKeys`, or is refused when that is every key. A Scan
 *   has no one partition: only the provisioned layer can refuse it, and its units are shared among
 *   the partitions it read, by bytes.
 * - **Refusals** (Programming.Errors, API_ThrottlingReason): HTTP 400, `__type`
 *   `com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException` with the guide's
 *   message and `ThrottlingReasons` (`TableWriteKeyRangeThroughputExceeded`, …,
 *   `…ProvisionedThroughputExceeded` when the provisioned layer refused), or, with
 *   `throttlingError: 'ThrottlingException'`, that error (what on-demand tables answer a hot key
 *   with in practice). The AWS SDK for JavaScript v3 classifies both as throttling errors by name:
 *   its standard strategy retries them with the throttling backoff, its adaptive one slows down.
 * - **Not metered**: every other operation (CreateTable, DescribeTable, transactions, PartiQL, …),
 *   and anything the front cannot make out (malformed JSON, a missing key, an unknown table): the
 *   backend answers those untouched. Writes to a table are not also charged to its global secondary
 *   indexes.
 *
 * `ReturnConsumedCapacity` (TOTAL or INDEXES) is answered with the front's own figures. Requests
 * are relayed with the client's headers: the SDK signs for the front's host, and the backend (a
 * local DynamoDB) checks no signature, so signed requests go through as they are.
 */
export {
  type ThrottledDynamoDb,
  type ThrottledDynamoDbOptions,
  startThrottledDynamoDb,
} from './throttled-dynamodb/front.ts';
export { itemSize, readUnits, writeUnits } from './throttled-dynamodb/item-size.ts';
export {
  type Capacity,
  DEFAULT_BURST_SECONDS,
  DEFAULT_LIMITS,
  type ProvisionedThroughput,
  type ThroughputLimits,
} from './throttled-dynamodb/meter.ts';
export {
  PROVISIONED_THROUGHPUT_EXCEEDED_MESSAGE,
  THROTTLING_MESSAGE,
  type ThrottlingErrorName,
} from './throttled-dynamodb/protocol.ts';
export type { OperationCounts, PartitionUsage, ThrottleStats, Usage } from './throttled-dynamodb/stats.ts';
