/**
 * Paces the writes of one erasure to what DynamoDB admits, with two limits a request must pass:
 *
 * - **An item rate** (a token bucket of items a second). One partition admits about 1,000 write
 *   units a second whatever the table's mode, and one user's Todos share a partition, so no
 *   amount of backing off on the number of requests in flight gets below one request at a time,
 *   which on its own already outruns a partition: answered in 10 ms, it is 100 batches (2,500 one-KB
 *   deletes) a second. Only a rate can go below it. No rate is known until DynamoDB
 *   refuses something, so there is none at first: an erasure that is never throttled is paced by
 *   nothing but the requests in flight.
 * - **Requests in flight**, at most `maxInFlight`: halved while throttling goes on, one more per
 *   clean answer (additive increase, multiplicative decrease, as TCP does).
 *
 * On throttling (any item unprocessed, a throttling error, or the SDK having had to retry) the
 * rate is set to what the partition admitted over the last `windowMs`, times `margin`: a
 * measurement, not a guess, so it lands near the partition's rate in one step instead of halving
 * towards it. Erasures that run at once on one table (a bulk delete: every user on a partition of
 * their own) may be refused by the table's throughput rather than a partition's: then each was
 * admitted its share of the table, and one that began a moment ago was admitted next to nothing
 * yet. So the measurement is never below this erasure's share of what the table admitted to all of
 * them (a `TableThroughput` they share), or a small erasure would crawl at a few items a second while
 * the table sat idle; and as they finish, the share of those left grows, and their rates with it.
 * Alone on its table, an erasure's share is all of it: its partition's rate.
 *
 * While answers are clean the rate probes upwards, slowly near where it was refused and faster
 * the longer it stays clean, so that a partition that frees up (another writer done, a limit
 * raised) is used again.
 *
 * Throttled answers to requests sent before the last cut say nothing about the new rate (they
 * met the old one), so each cut waits for an answer to a request sent after it: one cut per round
 * trip, as TCP reduces its window once per window of loss. What those answers admitted still
 * completes the cut's measurement, which may then rise (never past the refused rate).
 *
 * Pure: time comes from the injected clock, and the caller does the waiting.
 */

export interface WritePacerOptions {
  /** Requests in flight at most, and at first. */
  readonly maxInFlight: number;
  /** The share of the measured admitted rate resumed at after throttling. */
  readonly margin: number;
  /** How far back the admitted rate is measured, in ms. */
  readonly windowMs: number;
  /** How much a clean answer raises the rate at first after throttling: a fraction of the rate. */
  readonly probe: number;
  /** The raise doubles for every this many clean answers in a row. */
  readonly probeDoubling: number;
  /** The raise's ceiling, a fraction of the rate. */
  readonly maxProbe: number;
  /** How many seconds of its rate the bucket keeps: a pause (a Query page being read) is made up for. */
  readonly burstSeconds: number;
  /** The rate never goes below this, in items a second. */
  readonly minItemsPerSecond: number;
}

/**
 * The numbers, measured against the throughput-limited DynamoDB front (test/support/throttled-dynamodb.ts)
 * at 200, 250 and 500 write units a second, and in a simulation of the same bucket; bench/goodput.ts
 * (`npm run bench`) keeps measuring the result at 250:
 * - margin 0.9 of a 1 s window: the window also counts what the partition's bucket still held when
 *   it began, so the measurement runs a few percent high; 0.9 of it lands just under the rate. The
 *   partition's bucket refills meanwhile, and the probe above the rate spends it again, so running
 *   under the rate for a while costs next to no time (erasures took 0.95-1.05 × the floor).
 * - probing by 0.3 % per clean answer: from 0.9 of the rate back up to it, and through the
 *   partition's bucket beyond it, takes some 40-70 answers, whatever the rate, so about one
 *   request in 25-50 is throttled (4-5 % were). Probing by time instead refused twice as often at
 *   low rates (few requests a second) and the target is a share of requests. Twice as fast a
 *   probe refused a third more; a slower one gained little.
 * - doubling every 100 clean answers: near a steady limit (a cut every 40-70 answers) the probe
 *   barely accelerates, while a lifted limit is found again within some 300 answers (× 15).
 * - burst 0.2 s: under the one second of its rate a partition holds, so making up for a pause
 *   (a slow answer) cannot exceed what the partition refilled during it.
 */
export const DEFAULT_PACING: Omit<WritePacerOptions, 'maxInFlight'> = {
  margin: 0.9,
  windowMs: 1_000,
  probe: 0.003,
  probeDoubling: 100,
  maxProbe: 0.1,
  burstSeconds: 0.2,
  minItemsPerSecond: 1,
};

/** A request on the wire: what it carried and when it went. */
export interface Ticket {
  readonly items: number;
  readonly sentAt: number;
}

/** What DynamoDB did with a request. */
export interface Answer {
  /** Items done. */
  readonly processed: number;
  /** Anything refused: items unprocessed, a throttling error, or retries the SDK made. */
  readonly throttled: boolean;
}

/** What a request must wait for. */
export type Wait =
  | { readonly for: 'nothing' }
  /** Every slot is taken: until an answer comes. */
  | { readonly for: 'slot' }
  /** Until the rate allows it. */
  | { readonly for: 'rate'; readonly ms: number };

const NOTHING: Wait = { for: 'nothing' };
const SLOT: Wait = { for: 'slot' };

export class WritePacer {
  readonly #options: WritePacerOptions;
  readonly #now: () => number;
  readonly #table: TableThroughput | undefined;
  #rate = Number.POSITIVE_INFINITY;
  /** Items that may go now; below zero, the debt of the last request, repaid at the rate. */
  #tokens = 0;
  #tokensAt: number;
  #inFlight = 0;
  #inFlightLimit: number;
  /** Items done, by when their answer came, over the last window. */
  readonly #admitted: { at: number; items: number }[] = [];
  #admittedInWindow = 0;
  #rateCutAt = Number.NEGATIVE_INFINITY;
  /** The rate the last cut came down from: what a measurement refined later may go back up to. */
  #rateBeforeCut = Number.POSITIVE_INFINITY;
  /**
   * The erasures answered over the window when the rate was last cut, or last followed the share,
   * this one included. Answered, not begun and not yet done: one held back for longer than the
   * window takes no share while it waits, so the others may use it.
   */
  #writersAtCut = 1;
  #inFlightCutAt = Number.NEGATIVE_INFINITY;
  /** Clean answers since the last throttled one. */
  #clean = 0;
  /**
   * Whether the rate held a request back since the last clean answer. A rate that holds nothing
   * back (the writer waits for a page, or for the requests in flight) proves nothing by a clean
   * answer, and growing it would only let the next burst through.
   */
  #rateBound = false;

  /** `table`: what the erasures running on the same table share (without it, this erasure is taken to be alone). */
  constructor(options: Partial<WritePacerOptions> & Pick<WritePacerOptions, 'maxInFlight'>, now: () => number = () => performance.now(), table?: TableThroughput) {
    this.#options = { ...DEFAULT_PACING, ...options };
    if (!(this.#options.maxInFlight >= 1)) throw new RangeError('maxInFlight must be 1 at least');
    this.#now = now;
    this.#table = table;
    this.#inFlightLimit = Math.floor(this.#options.maxInFlight);
    this.#tokensAt = now();
  }

  /** Items a second; Infinity until DynamoDB has refused something. */
  get itemsPerSecond(): number {
    return this.#rate;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get inFlightLimit(): number {
    return this.#inFlightLimit;
  }

  /** What the next request must wait for before it may be sent. */
  wait(): Wait {
    if (this.#inFlight >= this.#inFlightLimit) return SLOT;
    if (this.#rate === Number.POSITIVE_INFINITY) return NOTHING;
    this.#refill();
    // Repaid to the last rounding error: due now, not in a millisecond.
    if (this.#tokens >= -1e-9) return NOTHING;
    this.#rateBound = true;
    // Never less than a millisecond: a timer of 0 would spin on rounding.
    return { for: 'rate', ms: Math.max(1, (-this.#tokens / this.#rate) * 1000) };
  }

  /** A request goes now (after `wait` said nothing holds it back). */
  sent(items: number): Ticket {
    this.#inFlight += 1;
    if (this.#rate !== Number.POSITIVE_INFINITY) {
      this.#refill();
      this.#tokens -= items;
    }
    return { items, sentAt: this.#now() };
  }

  /** DynamoDB answered the request of `ticket`. */
  answered(ticket: Ticket, { processed, throttled }: Answer): void {
    const now = this.#now();
    this.#inFlight -= 1;
    this.#record(now, processed);
    if (throttled) this.#throttled(ticket, now);
    else {
      if (ticket.sentAt < this.#rateCutAt) this.#refine();
      if (this.#rate !== Number.POSITIVE_INFINITY) this.#followShare(now);
      this.#cleanAnswer();
    }
  }

  /** The request failed for another reason, or was aborted: its slot is free, and nothing is learnt. */
  abandoned(_ticket: Ticket): void {
    this.#inFlight -= 1;
  }

  #throttled(ticket: Ticket, now: number): void {
    this.#clean = 0;
    this.#rateBound = false;
    // Sent before the last cut: it met the old rate, and says nothing of the new one.
    if (ticket.sentAt >= this.#inFlightCutAt) {
      this.#inFlightLimit = Math.max(1, Math.floor(this.#inFlightLimit / 2));
      this.#inFlightCutAt = now;
    }
    if (ticket.sentAt < this.#rateCutAt) return this.#refine();
    const measured = this.#measured(now);
    // Never above the rate that was just refused. Nothing admitted for a whole window: nothing to
    // measure, so the rate is halved (no rate stays none: the requests in flight, halved above,
    // slow down until something is admitted and measured).
    const next = measured > 0 ? Math.min(measured, this.#rate) * this.#options.margin : this.#rate / 2;
    this.#refill();
    this.#rateBeforeCut = this.#rate;
    this.#rate = Math.max(this.#options.minItemsPerSecond, next);
    this.#rateCutAt = now;
    this.#writersAtCut = this.#table?.writers(this, now) ?? 1;
    // The partition has just run dry: the next request waits until it has refilled for one like this.
    this.#tokens = Math.min(this.#tokens, 0) - ticket.items;
    this.#tokensAt = now;
  }

  /**
   * An answer to a request sent before the last cut, after it: what it admitted happened before
   * the cut too, so the cut's measurement was short of it. Refusals are often answered first (a
   * refused batch needs no writes), so a cut measured at the first one misses the batches still
   * being written: at 500 units a second and 3 KB items, a third of what the partition admitted,
   * and the probe took 25 s to make up for it. The rate only rises here, and never past the one
   * that was refused.
   */
  #refine(): void {
    const measured = this.#measured(this.#now());
    const refined = Math.min(measured, this.#rateBeforeCut) * this.#options.margin;
    if (refined <= this.#rate) return;
    this.#refill();
    this.#rate = refined;
  }

  /**
   * Fewer erasures on the table than at the cut: a share measured among many is too small for the
   * few left, and the probe (a fraction per answer) would take minutes to climb back from it at a
   * few answers a second. So the rate grows with the share, even past the rate refused among many
   * (a rate too high is cut again by the next refusal, measured then).
   */
  #followShare(now: number): void {
    const writers = this.#table?.writers(this, now) ?? 1;
    if (writers >= this.#writersAtCut) return;
    this.#refill();
    this.#rate = (this.#rate * this.#writersAtCut) / writers;
    this.#writersAtCut = writers;
  }

  #cleanAnswer(): void {
    this.#inFlightLimit = Math.min(this.#options.maxInFlight, this.#inFlightLimit + 1);
    this.#clean += 1;
    if (this.#rate !== Number.POSITIVE_INFINITY && this.#rateBound) {
      this.#refill();
      const { probe, probeDoubling, maxProbe } = this.#options;
      this.#rate *= 1 + Math.min(maxProbe, probe * 2 ** (this.#clean / probeDoubling));
    }
    this.#rateBound = false;
  }

  /**
   * Items a second admitted over the last window: this erasure's, or its share of the table's if
   * that is more. Divided by the whole window even when less of it has passed: at first the
   * partition's bucket (a second of its rate) has paid for most of what was admitted, so this is
   * close to its rate, where dividing by the time elapsed would be many times over it.
   */
  #measured(now: number): number {
    const admitted = Math.max(this.#admittedInWindow, this.#table?.shareOf(this, now) ?? 0);
    return admitted / (this.#options.windowMs / 1000);
  }

  #record(now: number, items: number): void {
    this.#table?.record(this, now, items);
    if (items > 0) {
      this.#admitted.push({ at: now, items });
      this.#admittedInWindow += items;
    }
    const since = now - this.#options.windowMs;
    while (this.#admitted.length > 0 && this.#admitted[0]!.at <= since) this.#admittedInWindow -= this.#admitted.shift()!.items;
  }

  #refill(): void {
    const now = this.#now();
    if (this.#rate === Number.POSITIVE_INFINITY) {
      this.#tokensAt = now;
      return;
    }
    const capacity = this.#rate * this.#options.burstSeconds;
    this.#tokens = Math.min(capacity, this.#tokens + (Math.max(0, now - this.#tokensAt) / 1000) * this.#rate);
    this.#tokensAt = now;
  }
}

/**
 * What a table admitted over the last window to the erasures writing to it at once (one
 * `WritePacer` each), and how many of them there were: each one's share. Shared by the erasures a
 * function instance runs on one table.
 */
export class TableThroughput {
  readonly #windowMs: number;
  readonly #admitted: { at: number; items: number }[] = [];
  #admittedInWindow = 0;
  /** When each erasure was last answered. */
  readonly #answeredAt = new Map<object, number>();

  constructor(windowMs: number = DEFAULT_PACING.windowMs) {
    this.#windowMs = windowMs;
  }

  /** An answer to `writer` admitted `items`. */
  record(writer: object, now: number, items: number): void {
    this.#answeredAt.set(writer, now);
    if (items > 0) {
      this.#admitted.push({ at: now, items });
      this.#admittedInWindow += items;
    }
    this.#expire(now);
  }

  /** Items the table admitted over the window, divided among the erasures answered in it. */
  shareOf(writer: object, now: number): number {
    return this.#admittedInWindow / this.writers(writer, now);
  }

  /** The erasures answered over the window, `writer` included. */
  writers(writer: object, now: number): number {
    this.#expire(now);
    return this.#answeredAt.size + (this.#answeredAt.has(writer) ? 0 : 1);
  }

  #expire(now: number): void {
    const since = now - this.#windowMs;
    while (this.#admitted.length > 0 && this.#admitted[0]!.at <= since) this.#admittedInWindow -= this.#admitted.shift()!.items;
    for (const [writer, at] of this.#answeredAt) if (at <= since) this.#answeredAt.delete(writer);
  }
}
