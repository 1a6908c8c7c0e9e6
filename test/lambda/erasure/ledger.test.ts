import { describe, expect, it } from 'vitest';
import { EventConflictError } from '../../../lambda/errors.ts';
import {
  claim,
  confirm,
  countSecondPass,
  end,
  type ErasureRecord,
  type EventRef,
  finish,
  noteCheck,
  release,
  request,
  type Subject,
} from '../../../lambda/erasure/ledger.ts';
import { thrown } from '../../support/thrown.ts';

const subject: Subject = { userId: 'alice', scope: 'user', tenantId: 't1' };
const event = (type: string, id: string, digest = `digest-${id}`): EventRef => ({ id, type, digest, at: 1 });
const DAY = 24 * 3600;

/** Applies each change in turn, as the ledger would, and returns the record. */
const apply = (record: ErasureRecord | undefined, change: { record?: ErasureRecord }) => change.record ?? record;

describe('the erasure lifecycle', () => {
  it('a request starts a cycle; a .complete confirms it; a lease erases it; the receipt keeps its counts', () => {
    const requested = request(undefined, subject, event('user.delete', 'e1'), 1_000);
    expect(requested.result.outcome).toBe('new-cycle');
    let record = apply(undefined, requested)!;
    expect(record).toMatchObject({ state: 'requested', cycle: 1, requestedAt: 1_000, todosDeleted: 0, tenantId: 't1' });

    const confirmed = confirm(record, subject, 'complete-event', 2_000, { event: event('user.delete.complete', 'c1') });
    expect(confirmed.result).toMatchObject({ outcome: 'confirmed', previous: 'requested' });
    record = apply(record, confirmed)!;
    expect(record).toMatchObject({ state: 'confirmed', confirmedAt: 2_000, confirmedBy: 'complete-event' });

    const claimed = claim(record, 1, 'lease-1', 5_000, 3_000);
    expect(claimed.result.outcome).toBe('claimed');
    record = apply(record, claimed)!;
    expect(record).toMatchObject({ state: 'erasing', lease: 'lease-1', leaseUntil: 8_000 });

    record = apply(record, release(record, 'lease-1', { deletedByTarget: { Todos: 100 }, nextTarget: 0 }, 4_000))!;
    expect(record).toMatchObject({ state: 'erasing', leaseUntil: 4_000, todosDeleted: 100 });
    record = apply(record, claim(record, 1, 'lease-2', 5_000, 4_001))!;
    const done = finish(record, 'lease-2', { deletedByTarget: { Todos: 20, Lists: 2 }, nextTarget: 2 }, 6_000, 365 * DAY);
    expect(done.result.outcome).toBe('ok');
    record = apply(record, done)!;
    expect(record).toMatchObject({
      state: 'erased',
      erasedAt: 6_000,
      todosDeleted: 122,
      deletedByTarget: { Todos: 120, Lists: 2 },
      expiresAt: 6 + 365 * DAY,
      lease: undefined,
    });
    expect(record.events.map((e) => e.type)).toEqual(['user.delete', 'user.delete.complete']);
  });

  it('an event seen before changes nothing; the same id with another body is refused', () => {
    const record = apply(undefined, request(undefined, subject, event('user.delete', 'e1'), 1))!;
    expect(request(record, subject, event('user.delete', 'e1'), 2)).toEqual({ result: { outcome: 'duplicate', record } });
    expect(thrown(() => request(record, subject, event('user.delete', 'e1', 'forged'), 2))).toBeInstanceOf(EventConflictError);
    const joined = request(record, subject, event('user.delete', 'e2'), 3);
    expect(joined.result.outcome).toBe('joined');
    expect(joined.record!.events).toHaveLength(2);
  });

  it('a lease is held against others until it runs out; a released one is taken at once', () => {
    const confirmed = apply(undefined, confirm(undefined, subject, 'complete-event', 1))!;
    const held = apply(confirmed, claim(confirmed, 1, 'a', 10_000, 1_000))!;
    expect(claim(held, 1, 'b', 10_000, 5_000).result).toEqual({ outcome: 'busy', leaseUntil: 11_000 });
    expect(claim(held, 1, 'b', 10_000, 11_001).result.outcome).toBe('claimed');
    expect(release(held, 'b', { deletedByTarget: {}, nextTarget: 0 }, 2_000).result.outcome).toBe('lost');
    expect(claim(held, 2, 'b', 10_000, 11_001).result.outcome).toBe('stale');
    expect(claim(apply(undefined, request(undefined, subject, event('user.delete', 'x'), 1)), undefined, 'b', 1, 1).result.outcome).toBe('not-confirmed');
  });

  it('a look confirms only the cycle it looked for, while it is requested or unconfirmed', () => {
    const requested = apply(undefined, request(undefined, subject, event('user.delete', 'e1'), 1))!;
    expect(confirm(requested, subject, 'api', 2, { cycle: 2 }).result.outcome).toBe('stale');
    expect(confirm(requested, subject, 'api', 2, { cycle: 1 }).result.outcome).toBe('confirmed');
    const confirmed = apply(requested, confirm(requested, subject, 'complete-event', 2))!;
    expect(confirm(confirmed, subject, 'api', 3, { cycle: 1 }).result.outcome).toBe('under-way');
  });

  it('a window ends a requested cycle rolled back or unconfirmed; only a rolled-back receipt expires', () => {
    const requested = apply(undefined, request(undefined, subject, event('user.delete', 'e1'), 1))!;
    const rolledBack = apply(requested, end(requested, 1, 'rolled-back', 'still there', 10_000, DAY))!;
    expect(rolledBack).toMatchObject({ state: 'rolled-back', reason: 'still there', endedAt: 10_000, expiresAt: 10 + DAY });
    const unconfirmed = apply(requested, end(requested, 1, 'unconfirmed', 'no word', 10_000, DAY))!;
    expect(unconfirmed).toMatchObject({ state: 'unconfirmed', expiresAt: undefined });
    expect(end(rolledBack, 1, 'unconfirmed', 'x', 1, DAY).result.outcome).toBe('stale');
    // A reconcile may still settle an unconfirmed one either way.
    expect(end(unconfirmed, 1, 'rolled-back', 'user exists', 1, DAY).result.outcome).toBe('ended');
  });

  it('a .complete is FusionAuth\'s own word: it confirms an ended cycle, and after an erasure starts the next one', () => {
    const requested = apply(undefined, request(undefined, subject, event('user.delete', 'e1'), 1))!;
    const unconfirmed = apply(requested, end(requested, 1, 'unconfirmed', 'no word', 2, DAY))!;
    const late = confirm(unconfirmed, subject, 'complete-event', 3, { event: event('user.delete.complete', 'c1') });
    expect(late.result).toMatchObject({ outcome: 'confirmed', previous: 'unconfirmed' });
    expect(late.record).toMatchObject({ cycle: 1, reason: undefined, endedAt: undefined });

    let erased = apply(late.record, claim(late.record, 1, 'l', 1, 4))!;
    erased = apply(erased, finish(erased, 'l', { deletedByTarget: { Todos: 3 }, nextTarget: 1 }, 5, DAY))!;
    const again = confirm(erased, subject, 'complete-event', 6, { event: event('user.delete.complete', 'c2') });
    expect(again.record).toMatchObject({ cycle: 2, state: 'confirmed', todosDeleted: 0, history: [{ cycle: 1, state: 'erased', todosDeleted: 3, endedAt: 5 }] });
    // A request after an ended cycle starts the next one too; the earlier receipt stays in the history.
    const next = request(erased, subject, event('user.delete', 'e9'), 7);
    expect(next.result.outcome).toBe('new-cycle');
    expect(next.record).toMatchObject({ cycle: 2, state: 'requested', history: [{ cycle: 1, state: 'erased' }] });
  });

  it('counts a second pass into an erased receipt, and notes looks only while open', () => {
    let record = apply(undefined, confirm(undefined, subject, 'complete-event', 1))!;
    record = apply(record, claim(record, 1, 'l', 1, 1))!;
    record = apply(record, finish(record, 'l', { deletedByTarget: { Todos: 3 }, nextTarget: 1 }, 2, DAY))!;
    expect(countSecondPass(record, 1, { Todos: 1 }, 3).record).toMatchObject({ todosDeleted: 4, deletedByTarget: { Todos: 4 } });
    expect(countSecondPass(record, 2, { Todos: 1 }, 3).result).toBe(false);
    expect(noteCheck(record, 1, 'user exists', 3).result).toBe(false);
  });
});
