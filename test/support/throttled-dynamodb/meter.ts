import { TokenBucket } from './token-bucket.ts';

/** What a partition may do, and (optionally) what a provisioned table may do. */
export interface ThroughputLimits {
  /** A partition's hard maximum of write units a second. DynamoDB's published figure: 1,000. */
  readonly partitionWriteUnitsPerSecond: number;
  /** A partition's hard maximum of read units a second. DynamoDB's published figure: 3,000. */
  readonly partitionReadUnitsPerSecond: number;
  /**
   * How many seconds of its maximum a partition's buckets hold. 1 by default: burst capacity
   * does not lift a partition past its per-partition maximum, so a partition gets one second's
   * worth at once and no more.
   */
  readonly partitionBucketSeconds: number;
  /** A provisioned table's capacity, with its burst allowance; absent: on-demand, no such layer. */
  readonly provisioned?: ProvisionedThroughput | undefined;
}

/**
 * Provisioned capacity, applied to each table and to each global secondary index separately
 * (each has its own in DynamoDB). Adaptive capacity lets one hot partition use all of it, so it is
 * one bucket per table or index, not divided among partitions.
 */
export interface ProvisionedThroughput {
  readonly writeUnitsPerSecond: number;
  readonly readUnitsPerSecond: number;
  /** Unused capacity kept for bursts: DynamoDB "currently retains up to five minutes (300 seconds)". */
  readonly burstSeconds?: number | undefined;
}

export const DEFAULT_LIMITS: ThroughputLimits = {
  partitionWriteUnitsPerSecond: 1_000,
  partitionReadUnitsPerSecond: 3_000,
  partitionBucketSeconds: 1,
};

export const DEFAULT_BURST_SECONDS = 300;

/** Which limit refused a request, in the vocabulary of DynamoDB's ThrottlingReason. */
export type LimitType = 'KeyRangeThroughputExceeded' | 'ProvisionedThroughputExceeded';

export type Capacity = 'read' | 'write';

/** A table, or one of its global secondary indexes: what capacity is provisioned for. */
export interface Resource {
  readonly table: string;
  /** A global secondary index; a local one shares its table's capacity and is not a resource. */
  readonly index?: string | undefined;
  /** ARN, for ThrottlingReason. */
  readonly arn: string;
}

/** (table or index, partition key value): the unit DynamoDB limits. */
export interface Partition {
  readonly resource: Resource;
  /** The partition key value as it travels (`{ S: 'user-1' }`). */
  readonly key: Record<string, unknown>;
  /** Identity: resource and canonical key value. */
  readonly id: string;
}

interface Buckets {
  readonly read: TokenBucket;
  readonly write: TokenBucket;
}

/**
 * Token buckets by partition and, for a provisioned table, by resource; created on first use,
 * full. Admission and charging are synchronous, so concurrent requests cannot both spend the
 * same units.
 */
export class Meter {
  #limits: ThroughputLimits;
  readonly #now: () => number;
  readonly #partitions = new Map<string, Buckets>();
  readonly #resources = new Map<string, Buckets>();

  constructor(limits: ThroughputLimits, now: () => number) {
    this.#limits = limits;
    this.#now = now;
  }

  get limits(): ThroughputLimits {
    return this.#limits;
  }

  /** Changes limits from now on; each bucket keeps what it holds, up to its new capacity. */
  setLimits(limits: ThroughputLimits): void {
    this.#limits = limits;
    const now = this.#now();
    for (const buckets of this.#partitions.values()) this.#reshape(buckets, this.#partitionShape(), now);
    const shape = this.#provisionedShape();
    if (shape === undefined) this.#resources.clear();
    else for (const buckets of this.#resources.values()) this.#reshape(buckets, shape, now);
  }

  /** Takes `units` of write capacity if the partition (and table) can afford them; else why not. */
  tryWrite(partition: Partition, units: number): LimitType | undefined {
    const now = this.#now();
    const buckets = this.#bucketsOf(partition);
    if (!buckets.partition.write.affords(units, now)) return 'KeyRangeThroughputExceeded';
    if (buckets.resource && !buckets.resource.write.affords(units, now)) return 'ProvisionedThroughputExceeded';
    this.charge(partition, 'write', units);
    return undefined;
  }

  /** Whether a read may start: anything left in the partition's (and table's) read bucket. */
  mayRead(partition: Partition): LimitType | undefined {
    const now = this.#now();
    const buckets = this.#bucketsOf(partition);
    if (!buckets.partition.read.hasUnits(now)) return 'KeyRangeThroughputExceeded';
    if (buckets.resource && !buckets.resource.read.hasUnits(now)) return 'ProvisionedThroughputExceeded';
    return undefined;
  }

  /** Whether a read spanning partitions (a Scan) may start: only a table-level limit applies before. */
  mayReadResource(resource: Resource): LimitType | undefined {
    const buckets = this.#resourceBuckets(resource);
    return buckets && !buckets.read.hasUnits(this.#now()) ? 'ProvisionedThroughputExceeded' : undefined;
  }

  /** Spends units unconditionally: reads after the fact, the rest of a write that grew. May go into debt. */
  charge(partition: Partition, capacity: Capacity, units: number): void {
    const now = this.#now();
    const buckets = this.#bucketsOf(partition);
    buckets.partition[capacity].take(units, now);
    buckets.resource?.[capacity].take(units, now);
  }

  /** Spends units on a table's provisioned capacity only (a Scan that read nothing). */
  chargeResource(resource: Resource, capacity: Capacity, units: number): void {
    this.#resourceBuckets(resource)?.[capacity].take(units, this.#now());
  }

  /** Gives back units taken for a write that did not happen. */
  refund(partition: Partition, capacity: Capacity, units: number): void {
    if (units <= 0) return;
    const now = this.#now();
    const buckets = this.#bucketsOf(partition);
    buckets.partition[capacity].give(units, now);
    buckets.resource?.[capacity].give(units, now);
  }

  /** Units a partition has now (negative while in debt); for tests and benchmarks. */
  available(partition: Partition, capacity: Capacity): number {
    return this.#bucketsOf(partition).partition[capacity].level(this.#now());
  }

  #bucketsOf(partition: Partition): { partition: Buckets; resource: Buckets | undefined } {
    let buckets = this.#partitions.get(partition.id);
    if (buckets === undefined) {
      buckets = this.#newBuckets(this.#partitionShape());
      this.#partitions.set(partition.id, buckets);
    }
    return { partition: buckets, resource: this.#resourceBuckets(partition.resource) };
  }

  #resourceBuckets(resource: Resource): Buckets | undefined {
    const shape = this.#provisionedShape();
    if (shape === undefined) return undefined;
    const id = resourceId(resource);
    let buckets = this.#resources.get(id);
    if (buckets === undefined) {
      buckets = this.#newBuckets(shape);
      this.#resources.set(id, buckets);
    }
    return buckets;
  }

  #partitionShape(): BucketShape {
    const { partitionReadUnitsPerSecond: read, partitionWriteUnitsPerSecond: write, partitionBucketSeconds: seconds } =
      this.#limits;
    return { read, write, seconds };
  }

  #provisionedShape(): BucketShape | undefined {
    const provisioned = this.#limits.provisioned;
    if (provisioned === undefined) return undefined;
    return {
      read: provisioned.readUnitsPerSecond,
      write: provisioned.writeUnitsPerSecond,
      seconds: provisioned.burstSeconds ?? DEFAULT_BURST_SECONDS,
    };
  }

  #newBuckets({ read, write, seconds }: BucketShape): Buckets {
    const now = this.#now();
    return { read: new TokenBucket(read, read * seconds, now), write: new TokenBucket(write, write * seconds, now) };
  }

  #reshape(buckets: Buckets, { read, write, seconds }: BucketShape, now: number): void {
    buckets.read.reshape(read, read * seconds, now);
    buckets.write.reshape(write, write * seconds, now);
  }
}

interface BucketShape {
  readonly read: number;
  readonly write: number;
  readonly seconds: number;
}

export const resourceId = (resource: Resource): string =>
  resource.index === undefined ? resource.table : `${resource.table}/index/${resource.index}`;

/** A partition of `resource` whose partition key has the value `key` (`{ S: '…' }`). */
export function partitionOf(resource: Resource, key: Record<string, unknown>): Partition {
  return { resource, key, id: `${resourceId(resource)}\u0000${canonicalValue(key)}` };
}

/** Equal key values give equal strings: `N` values compare as numbers, so `1.50` is `1.5`. */
export function canonicalValue(value: Record<string, unknown>): string {
  const [type] = Object.keys(value);
  if (type === undefined) return '';
  const body = value[type];
  if (type === 'N' && typeof body === 'string') return `N:${canonicalNumber(body)}`;
  return `${type}:${typeof body === 'string' ? body : JSON.stringify(body)}`;
}

function canonicalNumber(text: string): string {
  const number = Number(text);
  // Beyond double precision two distinct numbers could collide; keep their text instead.
  return Number.isFinite(number) && text.replace(/[^0-9]/g, '').replace(/^0+/, '').length <= 15
    ? String(number)
    : text.trim();
}
