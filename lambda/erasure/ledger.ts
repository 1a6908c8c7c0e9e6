import { EventConflictError } from '../errors.ts';
import type { ErasureScope } from '../targets/target-spec.ts';

/**
 * Where an erasure request stands:
 * - requested: FusionAuth announced a deletion inside its transaction; nothing is erased yet;
 * - confirmed: the deletion is known to be committed (a `.complete` event, FusionAuth's API, a reconcile);
 * - erasing: a worker holds the erasure's lease and is deleting;
 * - erased: every target is empty (the receipt);
 * - rolled-back: FusionAuth still had the user (or the registration) when the window ended: nothing erased;
 * - unconfirmed: the window ended with no proof either way: nothing erased, someone must look.
 */
export type ErasureState = 'requested' | 'confirmed' | 'erasing' | 'erased' | 'rolled-back' | 'unconfirmed';
export const ERASURE_STATES: readonly ErasureState[] = ['requested', 'confirmed', 'erasing', 'erased', 'rolled-back', 'unconfirmed'];
/** States a later event reopens: the next request for the user starts a new cycle. */
const ENDED: readonly ErasureState[] = ['erased', 'rolled-back', 'unconfirmed'];
export const isOpen = (state: ErasureState): boolean => !ENDED.includes(state);
/** States that still need something, by the worker or by a person: the ledger indexes these by age. */
export const UNSETTLED_STATES: readonly ErasureState[] = ['requested', 'confirmed', 'erasing', 'unconfirmed'];
export const isUnsettled = (state: ErasureState): boolean => UNSETTLED_STATES.includes(state);

/** How the commit became known. */
export type ConfirmedBy = 'complete-event' | 'api' | 'reconcile' | 'before-commit';

/** An event that drove the erasure: its id and type, and a digest of its body to refuse a forged redelivery. */
export interface EventRef {
  readonly id: string | undefined;
  readonly type: string;
  readonly digest: string;
  readonly at: number;
}

/** What an earlier cycle of the same user and scope ended as, kept when a new one starts. */
export interface PastCycle {
  readonly cycle: number;
  readonly state: ErasureState;
  readonly requestedAt: number;
  readonly endedAt: number | undefined;
  readonly todosDeleted: number;
}

/** One user and scope in the erasure ledger. It holds no personal data beyond the user id. */
export interface ErasureRecord {
  readonly userId: string;
  readonly scope: ErasureScope;
  readonly state: ErasureState;
  /** 1 for the first request; a request after an ended one starts the next. */
  readonly cycle: number;
  readonly tenantId: string | undefined;
  readonly events: readonly EventRef[];
  readonly requestedAt: number;
  readonly confirmedAt?: number;
  readonly confirmedBy?: ConfirmedBy;
  /** Who holds the erasure while `erasing`, and until when (epoch ms); an expired lease may be taken over. */
  readonly lease?: string;
  readonly leaseUntil?: number;
  /** The first target not finished yet. */
  readonly nextTarget?: number;
  readonly erasedAt?: number;
  /** When the cycle became rolled-back or unconfirmed, and why. */
  readonly endedAt?: number;
  readonly reason?: string;
  readonly todosDeleted: number;
  readonly deletedByTarget: Readonly<Record<string, number>>;
  /** Confirmation lookups made, and what the last one saw. */
  readonly checks: number;
  readonly lastCheck?: string;
  readonly lastCheckAt?: number;
  readonly history: readonly PastCycle[];
  readonly updatedAt: number;
  /** When DynamoDB may drop the receipt (epoch seconds); open requests never expire. */
  readonly expiresAt?: number;
}

/** A change to one record: the record to write (none: nothing to write) and what the caller learns. */
export interface Change<R> {
  readonly record?: ErasureRecord;
  readonly result: R;
}

/** The erasure ledger; DynamoDB is one adapter. */
export interface ErasureLedger {
  /** `signal` aborts what is on the wire when the caller's time is up. */
  get(userId: string, scope: ErasureScope, signal?: AbortSignal): Promise<ErasureRecord | undefined>;
  /**
   * Reads the record, applies `change`, and writes what it returns only if nobody wrote in
   * between (else reads and applies again): every transition below is decided on current state.
   */
  update<R>(userId: string, scope: ErasureScope, change: (record: ErasureRecord | undefined) => Change<R>, signal?: AbortSignal): Promise<R>;
  /** Records in `state`, oldest request first (all records, by user id, without one). */
  list(query: { readonly state?: ErasureState; readonly limit?: number; readonly after?: string }): Promise<ListedRecords>;
  /** How many unsettled records each state has, and the oldest request of each. */
  openSummary(): Promise<Record<string, { readonly count: number; readonly oldestRequestedAt: number | undefined }>>;
}

export interface ListedRecords {
  readonly records: readonly ErasureRecord[];
  /** Pass as `after` for the next page. */
  readonly next?: string;
}

/** How many event refs a record keeps: enough for every redelivery of a cycle. */
const MAX_EVENTS = 20;
const MAX_HISTORY = 10;

export interface Subject {
  readonly userId: string;
  readonly scope: ErasureScope;
  readonly tenantId: string | undefined;
}

const fresh = (subject: Subject, cycle: number, now: number, history: readonly PastCycle[]): ErasureRecord => ({
  userId: subject.userId,
  scope: subject.scope,
  tenantId: subject.tenantId,
  state: 'requested',
  cycle,
  events: [],
  requestedAt: now,
  todosDeleted: 0,
  deletedByTarget: {},
  checks: 0,
  history,
  updatedAt: now,
});

/** The next cycle after an ended one, the ended one kept in the history. */
const nextCycle = (subject: Subject, record: ErasureRecord | undefined, now: number): ErasureRecord => {
  if (!record) return fresh(subject, 1, now, []);
  const past: PastCycle = {
    cycle: record.cycle,
    state: record.state,
    requestedAt: record.requestedAt,
    endedAt: record.erasedAt ?? record.endedAt,
    todosDeleted: record.todosDeleted,
  };
  return fresh(subject, record.cycle + 1, now, [past, ...record.history].slice(0, MAX_HISTORY));
};

/** Whether `event` was seen in this cycle; the same id with another body is refused. */
function seenBefore(record: ErasureRecord | undefined, event: EventRef): boolean {
  if (!record || event.id === undefined) return false;
  const earlier = record.events.find(({ id, type }) => id === event.id && type === event.type);
  if (earlier && earlier.digest !== event.digest) {
    throw new EventConflictError();
  }
  return earlier !== undefined;
}

const withEvent = (record: ErasureRecord, event: EventRef, now: number): ErasureRecord => ({
  ...record,
  events: [...record.events, event].slice(-MAX_EVENTS),
  updatedAt: now,
});

export type RequestResult = { readonly outcome: 'new-cycle' | 'joined' | 'duplicate'; readonly record: ErasureRecord };

/**
 * FusionAuth announced a deletion (before its commit). An ended cycle (or none) starts a new one;
 * an open cycle takes the event in; an event seen before changes nothing.
 */
export function request(record: ErasureRecord | undefined, subject: Subject, event: EventRef, now: number): Change<RequestResult> {
  if (seenBefore(record, event)) return { result: { outcome: 'duplicate', record: record! } };
  if (record && isOpen(record.state)) {
    const joined = withEvent(record, event, now);
    return { record: joined, result: { outcome: 'joined', record: joined } };
  }
  const started = withEvent(nextCycle(subject, record, now), event, now);
  return { record: started, result: { outcome: 'new-cycle', record: started } };
}

export type ConfirmResult = {
  /** confirmed: this call confirmed it; under-way: already confirmed or erasing; stale: a check of an older cycle. */
  readonly outcome: 'confirmed' | 'under-way' | 'duplicate' | 'stale';
  readonly record: ErasureRecord | undefined;
  /** The state before: `requested` means a look is already scheduled for the cycle. */
  readonly previous?: ErasureState;
};

/**
 * The deletion is committed. A `.complete` event confirms whatever came before (or nothing: it
 * may be the first event seen), even a cycle that ended unconfirmed or rolled back, since it is
 * FusionAuth's own word; after an erased cycle it starts a new one (the id was deleted again).
 * An API lookup (`cycle` given) confirms only the cycle it looked for, and only while requested.
 */
export function confirm(
  record: ErasureRecord | undefined,
  subject: Subject,
  by: ConfirmedBy,
  now: number,
  options: { readonly event?: EventRef; readonly cycle?: number } = {},
): Change<ConfirmResult> {
  const { event, cycle } = options;
  if (cycle !== undefined) {
    if (!record || record.cycle !== cycle || !['requested', 'unconfirmed'].includes(record.state)) {
      return { result: { outcome: record && record.cycle === cycle && isOpen(record.state) ? 'under-way' : 'stale', record } };
    }
  } else if (event && seenBefore(record, event)) {
    return { result: { outcome: 'duplicate', record } };
  }
  let current = record && record.state !== 'erased' ? record : nextCycle(subject, record, now);
  if (event) current = withEvent(current, event, now);
  if (current.state === 'confirmed' || current.state === 'erasing') {
    return { record: current, result: { outcome: 'under-way', record: current } };
  }
  const previous = record?.state === 'erased' ? undefined : record?.state;
  const confirmed: ErasureRecord = {
    ...current,
    state: 'confirmed',
    confirmedAt: now,
    confirmedBy: by,
    endedAt: undefined,
    reason: undefined,
    expiresAt: undefined,
    updatedAt: now,
  };
  return { record: confirmed, result: { outcome: 'confirmed', record: confirmed, previous } };
}

export type ClaimResult =
  | { readonly outcome: 'claimed'; readonly record: ErasureRecord }
  | { readonly outcome: 'busy'; readonly leaseUntil: number }
  | { readonly outcome: 'erased' | 'not-confirmed' | 'stale' };

/** Takes the erasure for `leaseMs`: a confirmed one, or an erasing one whose holder's lease ran out. */
export function claim(record: ErasureRecord | undefined, cycle: number | undefined, lease: string, leaseMs: number, now: number): Change<ClaimResult> {
  if (!record || (cycle !== undefined && record.cycle !== cycle)) return { result: { outcome: 'stale' } };
  if (record.state === 'erased') return { result: { outcome: 'erased' } };
  if (record.state === 'erasing' && (record.leaseUntil ?? 0) > now && record.lease !== lease) {
    return { result: { outcome: 'busy', leaseUntil: record.leaseUntil! } };
  }
  if (record.state !== 'confirmed' && record.state !== 'erasing') return { result: { outcome: 'not-confirmed' } };
  const claimed: ErasureRecord = { ...record, state: 'erasing', lease, leaseUntil: now + leaseMs, updatedAt: now };
  return { record: claimed, result: { outcome: 'claimed', record: claimed } };
}

export interface Progress {
  readonly deletedByTarget: Readonly<Record<string, number>>;
  readonly nextTarget: number;
}

export type HolderResult = { readonly outcome: 'ok'; readonly record: ErasureRecord } | { readonly outcome: 'lost' };

const holds = (record: ErasureRecord | undefined, lease: string): record is ErasureRecord =>
  record?.state === 'erasing' && record.lease === lease;

const counted = (record: ErasureRecord, progress: Progress): Pick<ErasureRecord, 'deletedByTarget' | 'todosDeleted' | 'nextTarget'> => {
  const deletedByTarget = { ...record.deletedByTarget };
  let added = 0;
  for (const [name, count] of Object.entries(progress.deletedByTarget)) {
    deletedByTarget[name] = (deletedByTarget[name] ?? 0) + count;
    added += count;
  }
  return { deletedByTarget, todosDeleted: record.todosDeleted + added, nextTarget: progress.nextTarget };
};

/**
 * The holder stopped before the end: what it deleted is counted, and the lease is given up
 * (`leaseUntil` now) so that the job it queued may take over at once.
 */
export function release(record: ErasureRecord | undefined, lease: string, progress: Progress, now: number): Change<HolderResult> {
  if (!holds(record, lease)) return { result: { outcome: 'lost' } };
  const released: ErasureRecord = { ...record, ...counted(record, progress), leaseUntil: now, updatedAt: now };
  return { record: released, result: { outcome: 'ok', record: released } };
}

/** Every target is empty: the receipt, kept for `retentionSeconds`. */
export function finish(
  record: ErasureRecord | undefined,
  lease: string,
  progress: Progress,
  now: number,
  retentionSeconds: number,
): Change<HolderResult> {
  if (!holds(record, lease)) return { result: { outcome: 'lost' } };
  const erased: ErasureRecord = {
    ...record,
    ...counted(record, progress),
    state: 'erased',
    lease: undefined,
    leaseUntil: undefined,
    nextTarget: undefined,
    erasedAt: now,
    updatedAt: now,
    expiresAt: Math.floor(now / 1000) + retentionSeconds,
  };
  return { record: erased, result: { outcome: 'ok', record: erased } };
}

/** What a later pass over an erased user found (a Todo written with a token that outlived the user). */
export function countSecondPass(record: ErasureRecord | undefined, cycle: number, deletedByTarget: Readonly<Record<string, number>>, now: number): Change<boolean> {
  if (!record || record.cycle !== cycle || record.state !== 'erased') return { result: false };
  const { nextTarget: _, ...counts } = counted(record, { deletedByTarget, nextTarget: 0 });
  return { record: { ...record, ...counts, updatedAt: now }, result: true };
}

export type EndResult = { readonly outcome: 'ended' | 'stale'; readonly record: ErasureRecord | undefined };

/**
 * The window of a requested cycle ended without a confirmation: rolled back when FusionAuth
 * still had the user, unconfirmed when nothing could be proven. An unconfirmed one may still be
 * resolved either way later (a reconcile, a late `.complete`).
 */
export function end(
  record: ErasureRecord | undefined,
  cycle: number,
  state: 'rolled-back' | 'unconfirmed',
  reason: string,
  now: number,
  retentionSeconds: number,
): Change<EndResult> {
  const endable = state === 'rolled-back' ? ['requested', 'unconfirmed'] : ['requested'];
  if (!record || record.cycle !== cycle || !endable.includes(record.state)) return { result: { outcome: 'stale', record } };
  const ended: ErasureRecord = {
    ...record,
    state,
    reason,
    endedAt: now,
    updatedAt: now,
    // Kept until someone resolves it: an unconfirmed request is work left to do.
    expiresAt: state === 'rolled-back' ? Math.floor(now / 1000) + retentionSeconds : undefined,
  };
  return { record: ended, result: { outcome: 'ended', record: ended } };
}

/** A confirmation lookup was made; what it saw is shown by `npm run erasures`. */
export function noteCheck(record: ErasureRecord | undefined, cycle: number, seen: string, now: number): Change<boolean> {
  if (!record || record.cycle !== cycle || !isOpen(record.state)) return { result: false };
  return { record: { ...record, checks: record.checks + 1, lastCheck: seen, lastCheckAt: now, updatedAt: now }, result: true };
}
