import type { DeliverySummary } from '../../lambda/delivery.ts';
import { type Exchange, requestOf } from '../webhook-server.ts';

/** A delivery as the inspector shows it: the request with its secrets masked, the answer, and what the handler logged. */
export interface InspectedDelivery {
  readonly id: string;
  readonly receivedAt: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly response: { readonly status: number; readonly headers: Record<string, string>; readonly body: string };
  readonly durationMs: number;
  readonly eventType?: string;
  readonly eventId?: string;
  readonly outcome?: string;
  readonly todosDeleted?: number;
  readonly continued?: boolean;
  readonly duplicate?: boolean;
  readonly errorCode?: string;
}

type Listener = (delivery: InspectedDelivery) => void;

/** Shown as they came in; whatever is longer is cut, so one huge body cannot fill the page. */
const MAX_BODY_CHARS = 64 * 1024;

/**
 * The latest deliveries, newest first, and the listeners waiting for the next. The handler's
 * summary (by Lambda request id) and the HTTP exchange arrive separately and are joined here.
 */
export class DeliveryLog {
  readonly #deliveries: InspectedDelivery[] = [];
  readonly #summaries = new Map<string, DeliverySummary>();
  readonly #listeners = new Set<Listener>();

  /** `secretHeaders`: lower-cased names whose values are never shown. */
  constructor(
    private readonly secretHeaders: ReadonlySet<string>,
    private readonly capacity = 200,
  ) {}

  summarise(requestId: string | undefined, summary: DeliverySummary): void {
    if (requestId) this.#summaries.set(requestId, summary);
  }

  record(exchange: Exchange): void {
    const summary = this.#summaries.get(exchange.requestId);
    this.#summaries.delete(exchange.requestId);
    const request = exchange.event && requestOf(exchange.event);
    const delivery: InspectedDelivery = {
      id: exchange.requestId,
      receivedAt: exchange.receivedAt.toISOString(),
      method: request?.method ?? 'POST',
      headers: this.#mask(request?.headers ?? {}),
      body: cut(request ? (request.isBase64Encoded ? `(base64) ${request.body}` : request.body) : '(not read: too large)'),
      response: { status: exchange.response.statusCode, headers: exchange.response.headers, body: cut(exchange.response.body) },
      durationMs: Math.round(exchange.durationMs * 10) / 10,
      eventType: summary?.eventType,
      eventId: summary?.eventId,
      outcome: summary?.outcome,
      todosDeleted: summary?.todosDeleted,
      continued: summary?.continued,
      duplicate: summary?.duplicate,
      errorCode: errorCode(exchange.response.body),
    };
    this.#deliveries.unshift(delivery);
    this.#deliveries.length = Math.min(this.#deliveries.length, this.capacity);
    for (const listener of this.#listeners) listener(delivery);
  }

  latest(): readonly InspectedDelivery[] {
    return this.#deliveries;
  }

  /** Returns the function that stops listening. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #mask(headers: Record<string, string | undefined>): Record<string, string> {
    return Object.fromEntries(
      Object.entries(headers).map(([name, value = '']) => [name, this.secretHeaders.has(name) ? maskValue(value) : value]),
    );
  }
}

/** Enough to tell two credentials apart (scheme, length), nothing to reuse. */
const maskValue = (value: string): string => {
  const scheme = /^(Basic|Bearer) /i.exec(value)?.[0] ?? '';
  return `${scheme}•••••• (${value.length} characters)`;
};

const cut = (text: string): string => (text.length > MAX_BODY_CHARS ? `${text.slice(0, MAX_BODY_CHARS)}… (cut)` : text);

function errorCode(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { errors?: { code?: unknown }[] };
    const code = parsed.errors?.[0]?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}
