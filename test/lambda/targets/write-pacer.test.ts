import { describe, expect, it } from 'vitest';
import { DEFAULT_PACING, type Answer, TableThroughput, type Ticket, WritePacer, type WritePacerOptions } from '../../../lambda/targets/write-pacer.ts';
import { TokenBucket } from '../../support/throttled-dynamodb/token-bucket.ts';

const CLEAN = (processed: number): Answer => ({ processed, throttled: false });
const THROTTLED = (processed: number): Answer => ({ processed, throttled: true });

/** A pacer on a clock the test moves by hand, in ms. */
function pacerAt(options: Partial<WritePacerOptions> = {}) {
  const clock = { now: 0 };
  const pacer = new WritePacer({ maxInFlight: 4, ...options }, () => clock.now);
  return { clock, pacer };
}

/** Sends one request of `items` and answers it `afterMs` later. */
function roundTrip(clock: { now: number }, pacer: WritePacer, items: number, answer: Answer, afterMs = 0): Ticket {
  const ticket = pacer.sent(items);
  clock.now += afterMs;
  pacer.answered(ticket, answer);
  return ticket;
}

/** 250 items admitted in 100 ms, then a request of which 10 of 25 were: the partition has run dry. */
function firstThrottling(options: Partial<WritePacerOptions> = {}) {
  const paced = pacerAt(options);
  for (let n = 0; n < 10; n += 1) roundTrip(paced.clock, paced.pacer, 25, CLEAN(25), 10);
  roundTrip(paced.clock, paced.pacer, 25, THROTTLED(10));
  return paced;
}

describe('WritePacer before any throttling', () => {
  it('has no rate: as many requests go at once as there are slots, and the next waits for an answer', () => {
    const { pacer } = pacerAt();
    const tickets: Ticket[] = [];
    for (let n = 0; n < 4; n += 1) {
      expect(pacer.wait()).toEqual({ for: 'nothing' });
      tickets.push(pacer.sent(25));
    }
    expect(pacer.wait()).toEqual({ for: 'slot' });
    expect(pacer.itemsPerSecond).toBe(Number.POSITIVE_INFINITY);

    pacer.answered(tickets[0]!, CLEAN(25));
    expect(pacer.wait()).toEqual({ for: 'nothing' });
    expect(pacer.inFlight).toBe(3);
  });

  it('learns nothing from a request that failed otherwise or was aborted, but frees its slot', () => {
    const { pacer } = pacerAt({ maxInFlight: 1 });
    const ticket = pacer.sent(25);
    expect(pacer.wait()).toEqual({ for: 'slot' });
    pacer.abandoned(ticket);
    expect(pacer.wait()).toEqual({ for: 'nothing' });
    expect([pacer.itemsPerSecond, pacer.inFlightLimit]).toEqual([Number.POSITIVE_INFINITY, 1]);
  });
});

describe('WritePacer on throttling', () => {
  it('sets the rate to what was admitted over the last second, times the margin, and halves the requests in flight', () => {
    const { pacer } = firstThrottling();
    expect(pacer.itemsPerSecond).toBeCloseTo(260 * DEFAULT_PACING.margin, 9);
    expect(pacer.inFlightLimit).toBe(2);
  });

  it('holds the next request back until the partition has refilled for the refused one, then paces by the items sent', () => {
    const { clock, pacer } = firstThrottling();
    const rate = pacer.itemsPerSecond;
    const first = pacer.wait();
    expect(first.for).toBe('rate');
    expect(first.for === 'rate' && first.ms).toBeCloseTo((25 / rate) * 1000, 6);

    clock.now += (25 / rate) * 1000;
    expect(pacer.wait()).toEqual({ for: 'nothing' });
    pacer.sent(20);
    const next = pacer.wait();
    expect(next.for === 'rate' && next.ms).toBeCloseTo((20 / rate) * 1000, 6);
  });

  it('cuts once for requests sent before the cut, and again for one sent after it, never above the refused rate', () => {
    const { clock, pacer } = pacerAt();
    const early = [pacer.sent(25), pacer.sent(25), pacer.sent(25)];
    clock.now = 10;
    roundTrip(clock, pacer, 25, THROTTLED(20));
    const cut = pacer.itemsPerSecond;
    expect(cut).toBeCloseTo(20 * 0.9, 9);
    expect(pacer.inFlightLimit).toBe(2);

    // They met the old rate: nothing new in their refusals.
    clock.now = 20;
    for (const ticket of early) pacer.answered(ticket, THROTTLED(0));
    expect([pacer.itemsPerSecond, pacer.inFlightLimit]).toEqual([cut, 2]);

    // Sent after the cut: the refusal is news. 20 admitted in the window, so 18 again, and 1 in flight.
    clock.now = 500;
    roundTrip(clock, pacer, 25, THROTTLED(0));
    expect(pacer.itemsPerSecond).toBeCloseTo(Math.min(20, cut) * 0.9, 9);
    expect(pacer.inFlightLimit).toBe(1);
  });

  it('raises a cut as answers to requests sent before it come in: what they admitted was admitted before it', () => {
    const { clock, pacer } = pacerAt();
    for (let n = 0; n < 4; n += 1) roundTrip(clock, pacer, 25, CLEAN(25), 10);
    const early = [pacer.sent(25), pacer.sent(25), pacer.sent(25)];
    // The refused one is answered first: it needed no writes.
    roundTrip(clock, pacer, 25, THROTTLED(0), 5);
    expect(pacer.itemsPerSecond).toBeCloseTo(100 * 0.9, 9);

    pacer.answered(early[0]!, CLEAN(25));
    pacer.answered(early[1]!, CLEAN(25));
    expect(pacer.itemsPerSecond).toBeCloseTo(150 * 0.9, 9);
    pacer.answered(early[2]!, THROTTLED(16));
    expect(pacer.itemsPerSecond).toBeCloseTo(166 * 0.9, 9);
  });

  it('measures over the window only: what was admitted longer ago does not count', () => {
    const { clock, pacer } = pacerAt();
    roundTrip(clock, pacer, 25, CLEAN(25));
    clock.now = 5_000;
    for (let n = 0; n < 4; n += 1) roundTrip(clock, pacer, 25, CLEAN(25), 100);
    roundTrip(clock, pacer, 25, THROTTLED(0));
    expect(pacer.itemsPerSecond).toBeCloseTo(100 * 0.9, 9);
  });

  it('halves the rate when nothing at all was admitted in the window, down to its minimum; without a rate, only the requests in flight', () => {
    const { clock, pacer } = pacerAt({ minItemsPerSecond: 10 });
    roundTrip(clock, pacer, 25, THROTTLED(0));
    expect([pacer.itemsPerSecond, pacer.inFlightLimit]).toEqual([Number.POSITIVE_INFINITY, 2]);

    roundTrip(clock, pacer, 25, CLEAN(25));
    clock.now += 100;
    roundTrip(clock, pacer, 25, THROTTLED(0));
    expect(pacer.itemsPerSecond).toBeCloseTo(22.5, 9);
    for (const halved of [11.25, 10, 10]) {
      clock.now += 2_000;
      roundTrip(clock, pacer, 25, THROTTLED(0));
      expect(pacer.itemsPerSecond).toBeCloseTo(halved, 9);
    }
  });
});

describe('WritePacer beside other erasures on its table', () => {
  /** Two erasures' pacers sharing what their table admitted, on one hand-moved clock. */
  function twoErasures() {
    const clock = { now: 0 };
    const table = new TableThroughput();
    const pacer = () => new WritePacer({ maxInFlight: 4 }, () => clock.now, table);
    return { clock, a: pacer(), b: pacer() };
  }

  it('measures at least its share of what the table admitted to all of them: one that began a moment ago is not cut to the little it was admitted', () => {
    const { clock, a, b } = twoErasures();
    for (let n = 0; n < 8; n += 1) roundTrip(clock, a, 25, CLEAN(25), 10);
    roundTrip(clock, b, 25, THROTTLED(10));
    // The table admitted 210 to two erasures: 105 each, where b alone was admitted 10.
    expect(b.itemsPerSecond).toBeCloseTo(105 * DEFAULT_PACING.margin, 9);
    // a met no refusal: nothing paces it.
    expect(a.itemsPerSecond).toBe(Number.POSITIVE_INFINITY);
  });

  it('keeps its own measurement when that is more than its share: a partition of its own at its limit', () => {
    const { clock, a, b } = twoErasures();
    roundTrip(clock, a, 10, CLEAN(10));
    for (let n = 0; n < 10; n += 1) roundTrip(clock, b, 25, CLEAN(25), 10);
    roundTrip(clock, b, 25, THROTTLED(10));
    expect(b.itemsPerSecond).toBeCloseTo(260 * DEFAULT_PACING.margin, 9);
  });

  it('raises its rate with its share as the others finish, where probing would take hundreds of answers', () => {
    const { clock, a, b } = twoErasures();
    for (let n = 0; n < 8; n += 1) roundTrip(clock, a, 25, CLEAN(25), 10);
    roundTrip(clock, b, 25, THROTTLED(10));
    const cut = b.itemsPerSecond;
    // a is still writing: the share is what it was.
    clock.now += 500;
    roundTrip(clock, a, 25, CLEAN(25));
    roundTrip(clock, b, 5, CLEAN(5));
    expect(b.itemsPerSecond).toBe(cut);
    // a has not been answered for a whole window: b is alone, and its share is the table's.
    clock.now += DEFAULT_PACING.windowMs + 1;
    roundTrip(clock, b, 5, CLEAN(5));
    expect(b.itemsPerSecond).toBeCloseTo(2 * cut, 9);
  });
});

describe('WritePacer while clean', () => {
  it('halves the requests in flight once per round of throttling, down to one, and adds one per clean answer', () => {
    const { clock, pacer } = pacerAt({ maxInFlight: 8 });
    const seen: number[] = [pacer.inFlightLimit];
    for (const step of 'ttttssts sssssss') {
      if (step === ' ') continue;
      clock.now += 10;
      roundTrip(clock, pacer, 25, step === 't' ? THROTTLED(1) : CLEAN(25));
      seen.push(pacer.inFlightLimit);
    }
    expect(seen).toEqual([8, 4, 2, 1, 1, 2, 3, 1, 2, 3, 4, 5, 6, 7, 8, 8]);
  });

  it('raises the rate only after answers to requests it held back, by 0.3 %, then faster the longer it stays clean, up to 10 %', () => {
    // No burst: every request after the first is held back by the one before.
    const { clock, pacer } = firstThrottling({ burstSeconds: 0 });
    const base = pacer.itemsPerSecond;
    // Not held back (the rate was not what the request waited for): a clean answer proves nothing.
    clock.now += 1_000;
    roundTrip(clock, pacer, 25, CLEAN(25));
    expect(pacer.itemsPerSecond).toBe(base);

    const growth: number[] = [];
    for (let n = 2; n <= 1_000; n += 1) {
      const before = pacer.itemsPerSecond;
      while (pacer.wait().for !== 'nothing') clock.now += 1;
      roundTrip(clock, pacer, 25, CLEAN(25));
      growth.push(pacer.itemsPerSecond / before - 1);
    }
    expect(growth[0]).toBeCloseTo(0.003 * 2 ** (2 / 100), 9);
    expect(growth[98]).toBeCloseTo(0.003 * 2, 9);
    expect(growth.at(-1)).toBeCloseTo(0.1, 9);
    expect(growth.every((g, n) => n === 0 || g >= growth[n - 1]! - 1e-12)).toBe(true);
  });

  it('makes up for a pause with at most burstSeconds of its rate', () => {
    const { clock, pacer } = firstThrottling();
    const rate = pacer.itemsPerSecond;
    clock.now += 60_000;
    let sent = 0;
    while (pacer.wait().for === 'nothing') {
      roundTrip(clock, pacer, 10, CLEAN(10));
      sent += 10;
    }
    // None of them was held back: the rate has not grown.
    expect(pacer.itemsPerSecond).toBe(rate);
    // Sends go while anything is left: the last one may overdraw by less than its own items.
    expect(sent).toBe(Math.ceil((rate * DEFAULT_PACING.burstSeconds) / 10) * 10);
  });
});

/**
 * The control loop against a partition modelled as the front models it (a bucket of one second of
 * its rate, items done in order while it affords them): simulated time, so the counts are exact.
 */
function simulate({ unitsPerSecond, seconds, latencyMs, change }: { unitsPerSecond: number; seconds: number; latencyMs: number; change?: { atMs: number; unitsPerSecond: number } }) {
  let now = 0;
  const pacer = new WritePacer({ maxInFlight: 4 }, () => now);
  const partition = new TokenBucket(unitsPerSecond, unitsPerSecond, 0);
  const events: { at: number; run: () => void }[] = [];
  const after = (ms: number, run: () => void) => events.push({ at: now + ms, run });
  const counts = { requests: 0, throttled: 0, done: 0, doneAfterChange: 0, requestsAfterChange: 0 };
  let changed = false;
  let senderAt = 0;
  while (now < seconds * 1000) {
    if (change && !changed && now >= change.atMs) {
      changed = true;
      partition.reshape(change.unitsPerSecond, change.unitsPerSecond, now);
    }
    // An endless backlog of 25-item batches: send whenever the pacer lets one go.
    if (now >= senderAt) {
      const wait = pacer.wait();
      if (wait.for === 'rate') senderAt = now + wait.ms;
      else if (wait.for === 'nothing') {
        const ticket = pacer.sent(25);
        counts.requests += 1;
        if (changed) counts.requestsAfterChange += 1;
        after(latencyMs / 2, () => {
          let processed = 0;
          while (processed < 25 && partition.affords(1, now)) {
            partition.take(1, now);
            processed += 1;
          }
          after(latencyMs / 2, () => {
            counts.done += processed;
            if (changed) counts.doneAfterChange += processed;
            if (processed < 25) counts.throttled += 1;
            pacer.answered(ticket, { processed, throttled: processed < 25 });
          });
        });
        continue;
      }
    }
    events.sort((a, b) => a.at - b.at);
    const next = Math.min(events[0]?.at ?? Number.POSITIVE_INFINITY, senderAt > now ? senderAt : Number.POSITIVE_INFINITY);
    now = Number.isFinite(next) ? next : now + 1;
    while (events.length > 0 && events[0]!.at <= now) events.shift()!.run();
  }
  return { ...counts, pacer };
}

describe('WritePacer against a simulated partition', () => {
  it.each([
    { unitsPerSecond: 250, latencyMs: 10 },
    { unitsPerSecond: 1_000, latencyMs: 20 },
    { unitsPerSecond: 100, latencyMs: 5 },
  ])('uses 95 % of $unitsPerSecond units a second with at most 6 % of requests throttled', ({ unitsPerSecond, latencyMs }) => {
    const seconds = 60;
    const { done, requests, throttled } = simulate({ unitsPerSecond, seconds, latencyMs });
    // The partition starts with a second's worth in its bucket.
    expect(done).toBeGreaterThanOrEqual(0.95 * unitsPerSecond * (seconds + 1));
    expect(throttled / requests).toBeLessThanOrEqual(0.06);
  });

  it('follows a partition whose rate halves, and one whose rate doubles', () => {
    const halved = simulate({ unitsPerSecond: 500, seconds: 40, latencyMs: 10, change: { atMs: 20_000, unitsPerSecond: 250 } });
    expect(halved.doneAfterChange).toBeGreaterThanOrEqual(0.93 * 250 * 20);
    expect(halved.pacer.itemsPerSecond).toBeLessThan(300);

    const doubled = simulate({ unitsPerSecond: 250, seconds: 60, latencyMs: 10, change: { atMs: 20_000, unitsPerSecond: 500 } });
    expect(doubled.doneAfterChange).toBeGreaterThanOrEqual(0.9 * 500 * 40);
    expect(doubled.pacer.itemsPerSecond).toBeGreaterThan(400);
  });
});

/**
 * Many small erasures at once against one table's bucket (what a bulk delete meets: every user on
 * a partition of their own, the table's throughput shared), in simulated time. Each erasure sends
 * its batches through a pacer of its own and sends what is left unprocessed again; returns when
 * the last one is done, in ms.
 */
function simulateTable({ erasures, items, unitsPerSecond, latencyMs, shared }: { erasures: number; items: number; unitsPerSecond: number; latencyMs: number; shared: boolean }) {
  let now = 0;
  const clock = () => now;
  const bucket = new TokenBucket(unitsPerSecond, unitsPerSecond, 0);
  const table = shared ? new TableThroughput() : undefined;
  const writers = Array.from({ length: erasures }, () => ({
    pacer: new WritePacer({ maxInFlight: 4 }, clock, table),
    backlog: Array.from({ length: Math.ceil(items / 25) }, (_, n) => Math.min(25, items - 25 * n)),
    inFlight: 0,
    readyAt: 0,
  }));
  const events: { at: number; run: () => void }[] = [];
  for (;;) {
    for (const writer of writers) {
      while (writer.backlog.length > 0 && now >= writer.readyAt) {
        const wait = writer.pacer.wait();
        if (wait.for === 'rate') writer.readyAt = now + wait.ms;
        if (wait.for !== 'nothing') break;
        const batch = writer.backlog.shift()!;
        const ticket = writer.pacer.sent(batch);
        writer.inFlight += 1;
        events.push({
          at: now + latencyMs,
          run: () => {
            let processed = 0;
            while (processed < batch && bucket.affords(1, now)) {
              bucket.take(1, now);
              processed += 1;
            }
            writer.inFlight -= 1;
            writer.pacer.answered(ticket, { processed, throttled: processed < batch });
            if (processed < batch) writer.backlog.unshift(batch - processed);
          },
        });
      }
    }
    if (writers.every((writer) => writer.backlog.length === 0 && writer.inFlight === 0)) return now;
    events.sort((a, b) => a.at - b.at);
    const paced = writers.filter((writer) => writer.backlog.length > 0 && writer.readyAt > now).map((writer) => writer.readyAt);
    now = Math.min(events[0]?.at ?? Number.POSITIVE_INFINITY, ...paced);
    while (events.length > 0 && events[0]!.at <= now) events.shift()!.run();
  }
}

describe('WritePacer for many erasures on one table', () => {
  it('finishes forty erasures of 30 items within twice what the table allows when they measure their share of it, where their own measurements starve them', () => {
    const setting = { erasures: 40, items: 30, unitsPerSecond: 400, latencyMs: 10 };
    // The table's bucket starts with a second's worth; the rest goes at its rate.
    const floorMs = ((setting.erasures * setting.items - setting.unitsPerSecond) / setting.unitsPerSecond) * 1000;
    const shared = simulateTable({ ...setting, shared: true });
    const alone = simulateTable({ ...setting, shared: false });
    // The refusals at first put every erasure in debt for a batch at its share: 1.7 × the floor.
    expect(shared).toBeLessThanOrEqual(2 * floorMs);
    // Cut to a few items a second each (94 × the floor).
    expect(alone).toBeGreaterThan(10 * floorMs);
  });
});
