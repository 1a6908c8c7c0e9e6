import { type Partition, partitionOf } from './meter.ts';

/** What became of the requests of one operation. */
export interface OperationCounts {
  /** Answered by the backend (a batch partly left unprocessed counts here, and in `partial`). */
  admitted: number;
  /** Answered by the front with a throttling error. */
  refused: number;
  /** Batches admitted with some of their items or keys returned unprocessed. */
  partial: number;
}

/** Throughput spent and items moved, in total or for one partition. */
export interface Usage {
  writeUnits: number;
  readUnits: number;
  /** Puts and deletes done. */
  itemsWritten: number;
  /** Puts and deletes returned in a BatchWriteItem's UnprocessedItems. */
  itemsUnprocessed: number;
  /** Writes in requests refused whole (a single write, or a batch of which nothing could be done). */
  itemsRefused: number;
  /** Items a read was charged for (every item a Query or Scan evaluated, filtered out or not). */
  itemsRead: number;
}

export interface PartitionUsage extends Usage {
  readonly table: string;
  /** A global secondary index: its partitions are metered apart from the table's. */
  readonly index?: string | undefined;
  /** The partition key value, as it travels (`{ S: 'user-1' }`). */
  readonly key: Record<string, unknown>;
}

/** Live counters: they change as requests go through, and `reset()` zeroes them in place. */
export interface ThrottleStats {
  readonly total: Readonly<Usage>;
  /** By operation name (`BatchWriteItem`, `Query`, `DescribeTable`, …). */
  readonly operations: Readonly<Record<string, Readonly<OperationCounts>>>;
  /** One operation's counts; zeros when it was never seen. */
  operation(name: string): Readonly<OperationCounts>;
  /** Every partition seen, in the order first seen. */
  partitions(): readonly Readonly<PartitionUsage>[];
  /**
   * One partition, by its table (and global secondary index) and partition key value: an
   * AttributeValue (`{ S: 'u1' }`), or a string for `S` and a number for `N`. Zeros when unseen.
   */
  partition(table: string, key: Record<string, unknown> | string | number, index?: string): Readonly<PartitionUsage>;
  reset(): void;
}

const emptyUsage = (): Usage => ({
  writeUnits: 0,
  readUnits: 0,
  itemsWritten: 0,
  itemsUnprocessed: 0,
  itemsRefused: 0,
  itemsRead: 0,
});

/** The counters the front keeps, and the one place that changes them. */
export class Stats implements ThrottleStats {
  readonly total: Usage = emptyUsage();
  readonly operations: Record<string, OperationCounts> = Object.create(null) as Record<string, OperationCounts>;
  readonly #partitions = new Map<string, PartitionUsage>();

  operation(name: string): OperationCounts {
    return this.operations[name] ?? { admitted: 0, refused: 0, partial: 0 };
  }

  partitions(): PartitionUsage[] {
    return [...this.#partitions.values()];
  }

  partition(table: string, key: Record<string, unknown> | string | number, index?: string): PartitionUsage {
    const value = typeof key === 'string' ? { S: key } : typeof key === 'number' ? { N: String(key) } : key;
    const id = partitionOf({ table, index, arn: '' }, value).id;
    return this.#partitions.get(id) ?? { table, index, key: value, ...emptyUsage() };
  }

  reset(): void {
    Object.assign(this.total, emptyUsage());
    for (const name of Object.keys(this.operations)) delete this.operations[name];
    this.#partitions.clear();
  }

  admitted(operation: string, partial = false): void {
    const counts = this.#counts(operation);
    counts.admitted += 1;
    if (partial) counts.partial += 1;
  }

  refused(operation: string): void {
    this.#counts(operation).refused += 1;
  }

  /** Adds to a partition's usage and to the total. */
  add(partition: Partition, usage: Partial<Usage>): void {
    const own = this.#partitionUsage(partition);
    for (const [field, amount] of Object.entries(usage) as [keyof Usage, number][]) {
      own[field] += amount;
      this.total[field] += amount;
    }
  }

  /** Adds to the total only: units no partition can be charged with (a Scan that read nothing). */
  addUnattributed(usage: Partial<Usage>): void {
    for (const [field, amount] of Object.entries(usage) as [keyof Usage, number][]) this.total[field] += amount;
  }

  #counts(operation: string): OperationCounts {
    this.operations[operation] ??= { admitted: 0, refused: 0, partial: 0 };
    return this.operations[operation];
  }

  #partitionUsage({ id, resource, key }: Partition): PartitionUsage {
    let usage = this.#partitions.get(id);
    if (usage === undefined) {
      usage = { table: resource.table, index: resource.index, key, ...emptyUsage() };
      this.#partitions.set(id, usage);
    }
    return usage;
  }
}
