import type { FieldValues } from '../targets/key-template.ts';
import { RecentSet } from './bounded-set.ts';
import { idKey, isFusionAuthId } from './fusionauth-ids.ts';
import type { KeyOwner } from './key-inverse.ts';
import { hopeless, type MissingTally } from './missing-ratio.ts';
import type { UserChecker } from './user-checker.ts';

/** A user FusionAuth does not have, who owns items in the targets. */
export interface MissingUser {
  readonly userId: string;
  readonly tenantId: string | undefined;
  /** The key fields read from their items, every target's merged: what their erasure renders keys from. */
  readonly values: FieldValues;
  /** Items found, by target name. */
  readonly todos: Record<string, number>;
}

/** Ids read from keys that cannot be FusionAuth users: counted, a few shown, never checked nor erased. */
export interface NotFusionAuthIds {
  items: number;
  /** Distinct ids, as far as the recently-seen window tells. */
  ids: number;
  readonly examples: string[];
}

export interface FinderProgress {
  readonly checked: number;
  readonly missing: number;
}

export interface FinderOptions {
  /** Lookups in flight at once. */
  readonly concurrency: number;
  /** Users remembered as present (or not FusionAuth ids): a bound on memory, not on correctness. */
  readonly recentCapacity?: number;
  /** Stop as soon as the missing share is hopelessly above this (see missing-ratio.ts). */
  readonly maxMissing: number;
  readonly onChecked?: (progress: FinderProgress) => void;
}

/** The ratio is past saving after a sample: the run stops before checking the rest. */
export class HopelessRatioError extends Error {
  override name = 'HopelessRatioError';

  constructor(readonly tally: MissingTally) {
    super(`after ${tally.checked} users, ${tally.missing} missing is beyond saving`);
  }
}

interface Pending {
  readonly owner: KeyOwner;
  values: FieldValues;
  readonly todos: Record<string, number>;
}

const MAX_EXAMPLES = 5;
const DEFAULT_RECENT = 100_000;

/**
 * Reads owners as the Scan goes and asks FusionAuth about each new one in batches, several
 * batches in flight, per tenant. Memory holds the users found missing (with their counts), the
 * ids waiting for an answer (a few batches: `take` waits while the lookups are full), and a
 * bounded window of users found present: never every id of the table.
 */
export class MissingUserFinder {
  readonly missing = new Map<string, MissingUser>();
  readonly notFusionAuthIds: NotFusionAuthIds = { items: 0, ids: 0, examples: [] };
  #checked = 0;
  #missingChecked = 0;
  readonly #present: RecentSet<string>;
  readonly #notIds: RecentSet<string>;
  readonly #pending = new Map<string, Pending>();
  /** Ids waiting to be sent, by tenant ('' for none). */
  readonly #queued = new Map<string, string[]>();
  readonly #inFlight = new Set<Promise<void>>();
  #failure: unknown;

  constructor(
    private readonly checker: UserChecker,
    private readonly options: FinderOptions,
    private readonly signal?: AbortSignal,
  ) {
    this.#present = new RecentSet(options.recentCapacity ?? DEFAULT_RECENT);
    this.#notIds = new RecentSet(Math.min(options.recentCapacity ?? DEFAULT_RECENT, 10_000));
  }

  get tally(): MissingTally {
    return { checked: this.#checked, missing: this.#missingChecked };
  }

  /** The owners of one page of `targetName`'s items. */
  async take(targetName: string, owners: readonly KeyOwner[]): Promise<void> {
    this.#throwIfFailed();
    for (const owner of owners) {
      if (!isFusionAuthId(owner.userId)) {
        this.#countNotFusionAuth(owner.userId);
        continue;
      }
      const key = idKey(owner.userId);
      const known = this.missing.get(key) ?? this.#pending.get(key);
      if (known) {
        known.todos[targetName] = (known.todos[targetName] ?? 0) + 1;
        // Another target may name the tenant, which the erasure needs there.
        if (Object.keys(owner.values).some((field) => !(field in known.values))) {
          (known as { values: FieldValues }).values = { ...owner.values, ...known.values };
        }
        continue;
      }
      if (this.#present.has(key)) continue;
      this.#pending.set(key, { owner, values: owner.values, todos: { [targetName]: 1 } });
      const tenant = owner.tenantId ?? '';
      const queue = this.#queued.get(tenant) ?? [];
      queue.push(key);
      this.#queued.set(tenant, queue);
      if (queue.length >= this.checker.batchSize) await this.#send(tenant);
    }
    // Many tenants each with a few ids waiting: they go out rather than pile up.
    if (this.#queuedCount() > this.checker.batchSize * 4) await this.#sendAll();
  }

  /** Asks about every id still waiting, and waits for every answer. */
  async flush(): Promise<void> {
    await this.#sendAll();
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
    this.#throwIfFailed();
  }

  #countNotFusionAuth(userId: string): void {
    this.notFusionAuthIds.items += 1;
    if (this.#notIds.has(userId)) return;
    this.#notIds.add(userId);
    this.notFusionAuthIds.ids += 1;
    if (this.notFusionAuthIds.examples.length < MAX_EXAMPLES) this.notFusionAuthIds.examples.push(userId);
  }

  #queuedCount(): number {
    let count = 0;
    for (const queue of this.#queued.values()) count += queue.length;
    return count;
  }

  async #sendAll(): Promise<void> {
    for (const tenant of [...this.#queued.keys()]) await this.#send(tenant);
  }

  async #send(tenant: string): Promise<void> {
    const queue = this.#queued.get(tenant);
    if (!queue || queue.length === 0) return;
    this.#queued.delete(tenant);
    while (this.#inFlight.size >= this.options.concurrency) await Promise.race(this.#inFlight);
    this.#throwIfFailed();
    const ids = queue.map((key) => this.#pending.get(key)!.owner.userId);
    const check: Promise<void> = this.checker
      .check(ids, tenant || undefined, this.signal)
      .then(({ present, absent }) => {
        for (const { id } of present) {
          this.#present.add(idKey(id));
          this.#pending.delete(idKey(id));
        }
        for (const id of absent) {
          const pending = this.#pending.get(idKey(id))!;
          this.#pending.delete(idKey(id));
          this.missing.set(idKey(id), { userId: pending.owner.userId, tenantId: pending.owner.tenantId ?? pending.values.tenantId, values: pending.values, todos: pending.todos });
        }
        this.#checked += ids.length;
        this.#missingChecked += absent.length;
        this.options.onChecked?.(this.tally);
        if (hopeless(this.tally, this.options.maxMissing)) this.#failure ??= new HopelessRatioError(this.tally);
      })
      .catch((error: unknown) => {
        this.#failure ??= error;
      })
      .finally(() => this.#inFlight.delete(check));
    this.#inFlight.add(check);
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }
}
