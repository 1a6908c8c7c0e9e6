import { type EventType, TransactionType, type Webhook } from '@fusionauth/typescript-client';
import { deliveryHeaders, post, signBody } from './delivery.ts';
import { eventBody, type FusionAuthEvent } from './events.ts';
import { type DeliveryOutcome, eventConfiguration, isSuccess, levelMet, type Operation, type State, type TransactionRecord, webhooksFor } from './model.ts';

/** After the first send, a failed webhook gets up to three more (writing-a-webhook.mdx, "Retries"). */
const RETRIES = 3;

/** An operation that runs in a FusionAuth transaction: its events, in order, and what committing does. */
export interface TransactionPlan {
  readonly operation: Operation;
  readonly eventType: EventType;
  readonly userIds: readonly string[];
  readonly events: readonly FusionAuthEvent[];
  readonly commit: () => void;
}

/** How a transaction ended: committed, rolled back for its webhooks, or failed at the commit itself. */
export type TransactionResult = 'committed' | 'webhooks-failed' | 'commit-failed';

/** Which transaction a hold waits for; every field given must match. */
export interface HoldFilter {
  readonly operation?: Operation;
  readonly eventType?: EventType;
}

/** A transaction stopped between its webhooks' answers and its commit. */
export interface CommitHold {
  /** Resolves when a matching transaction has met its level and waits to commit: FusionAuth still shows the old state. */
  readonly reached: Promise<Omit<TransactionRecord, 'committed'>>;
  /** Let it commit: the API answers its success, then the `.complete` events go out. */
  release(): void;
  /** Make FusionAuth itself fail the commit after the webhooks succeeded: rolled back, 500 with an empty body. */
  fail(): void;
}

interface PendingHold {
  readonly filter: HoldFilter;
  readonly arrive: (transaction: Omit<TransactionRecord, 'committed'>) => void;
  readonly decision: Promise<boolean>;
  readonly decide: (commit: boolean) => void;
}

/**
 * Sends events to webhooks and decides transactions as FusionAuth does. Webhooks are called in
 * parallel (writing-a-webhook.mdx). A transactional event under None is fire and forget: the caller
 * is answered without waiting, and a failure is dropped, not retried (the "None" diagram of
 * writing-a-webhook.mdx; FusionAuth issue 3549). Under any other level the operation waits for every
 * answer; if the level is not met nothing is retried and the operation rolls back; if it is met, the
 * webhooks that failed are retried up to three more times, back to back, before the commit.
 */
export class WebhookSender {
  readonly #state: State;
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #stop = new AbortController();
  readonly #holds: PendingHold[] = [];
  /** Holds a transaction has reached and that wait for the test's decision. */
  readonly #reached = new Set<PendingHold>();

  constructor(state: State) {
    this.#state = state;
  }

  async transaction(plan: TransactionPlan): Promise<TransactionResult> {
    for (const event of plan.events) {
      if (!(await this.#decide(event))) return this.#record(plan, false, 'webhooks-failed');
    }
    const hold = this.#takeHold(plan);
    if (hold && !(await hold)) return this.#record(plan, false, 'commit-failed');
    plan.commit();
    return this.#record(plan, true, 'committed');
  }

  /** A non-transactional event (every `.complete`): sent to its webhooks once, nothing waits for it. */
  notify(event: FusionAuthEvent): void {
    for (const webhook of webhooksFor(this.#state, event.type, event.tenantId)) void this.#track(this.#attempt(webhook, event, 1));
  }

  /** Counts `work` as in flight until it settles, for `settled()`. */
  track<T>(work: Promise<T>): Promise<T> {
    return this.#track(work);
  }

  holdNextCommit(filter: HoldFilter = {}): CommitHold {
    let arrive!: PendingHold['arrive'];
    let decide!: PendingHold['decide'];
    const reached = new Promise<Omit<TransactionRecord, 'committed'>>((resolve) => (arrive = resolve));
    const decision = new Promise<boolean>((resolve) => (decide = resolve));
    this.#holds.push({ filter, arrive, decision, decide });
    return { reached, release: () => decide(true), fail: () => decide(false) };
  }

  /** Resolves once no delivery is in flight, including those started while waiting. */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Aborts every delivery in flight and fails every held commit. */
  close(): void {
    this.#stop.abort();
    for (const hold of [...this.#holds.splice(0), ...this.#reached]) hold.decide(false);
  }

  /** Whether FusionAuth may go on with the operation after sending `event`. */
  async #decide(event: FusionAuthEvent): Promise<boolean> {
    const level = eventConfiguration(this.#state, event.tenantId, event.type)?.transactionType ?? TransactionType.None;
    const webhooks = webhooksFor(this.#state, event.type, event.tenantId);
    if (level === TransactionType.None) {
      for (const webhook of webhooks) void this.#track(this.#attempt(webhook, event, 1));
      return true;
    }
    const first = await Promise.all(webhooks.map((webhook) => this.#track(this.#attempt(webhook, event, 1))));
    if (!levelMet(level, webhooks.length, first.filter(isSuccess).length)) return false;
    const failed = webhooks.filter((_, i) => !isSuccess(first[i]!));
    await Promise.all(failed.map((webhook) => this.#track(this.#retry(webhook, event))));
    return true;
  }

  async #retry(webhook: Webhook, event: FusionAuthEvent): Promise<void> {
    for (let attempt = 2; attempt <= RETRIES + 1; attempt++) {
      if (isSuccess(await this.#attempt(webhook, event, attempt))) return;
    }
  }

  async #attempt(webhook: Webhook, event: FusionAuthEvent, attempt: number): Promise<DeliveryOutcome> {
    const startedAt = Date.now();
    let outcome: DeliveryOutcome;
    try {
      const body = eventBody(event);
      const headers = deliveryHeaders(webhook, await this.#signature(webhook, body));
      outcome = this.#stop.signal.aborted ? 'error' : await post(webhook, headers, body, this.#stop.signal);
    } catch {
      outcome = 'error';
    }
    this.#state.attempts.push({
      webhookId: webhook.id ?? '',
      url: webhook.url ?? '',
      eventType: event.type,
      eventId: event.id,
      attempt,
      outcome,
      startedAt,
      endedAt: Date.now(),
    });
    return outcome;
  }

  /** The webhook's signature, if it signs; a key Key Master has but the stand-in holds no secret for cannot sign. */
  async #signature(webhook: Webhook, body: string): Promise<string | undefined> {
    const config = webhook.signatureConfiguration;
    if (!config?.enabled || config.signingKeyId === undefined) return undefined;
    const key = this.#state.signingKeys.get(config.signingKeyId);
    if (!key) throw new Error(`no HMAC secret for signing key ${config.signingKeyId}`);
    return signBody(body, config.signingKeyId, key);
  }

  #takeHold(plan: TransactionPlan): Promise<boolean> | undefined {
    const index = this.#holds.findIndex(
      ({ filter }) => (filter.operation ?? plan.operation) === plan.operation && (filter.eventType ?? plan.eventType) === plan.eventType,
    );
    if (index === -1) return undefined;
    const hold = this.#holds.splice(index, 1)[0]!;
    this.#reached.add(hold);
    hold.arrive({ operation: plan.operation, eventType: plan.eventType, userIds: plan.userIds });
    return hold.decision.finally(() => this.#reached.delete(hold));
  }

  #record(plan: TransactionPlan, committed: boolean, result: TransactionResult): TransactionResult {
    this.#state.transactions.push({ operation: plan.operation, eventType: plan.eventType, userIds: [...plan.userIds], committed });
    return result;
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work)).catch(() => {});
    return work;
  }
}
