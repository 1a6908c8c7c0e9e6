import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { Authenticator } from './auth/authenticate.ts';
import { bodyDigest } from './auth/signature-algorithms.ts';
import type { ErasureService, RunLimits } from './erasure/erasure-service.ts';
import { CredentialsUnavailableError, DeletionUnfinishedError, TodosRemainError, WebhookError } from './errors.ts';
import { dispatch, hasHandler } from './event-handlers/handler-map.ts';
import type { HandlerContext, HandlerOutcome } from './event-handlers/handler-types.ts';
import { type Delivery, parseDelivery } from './events/parse.ts';
import { isPassportEventType } from './events/types.ts';
import { readBody, readRequest } from './http/request.ts';
import { errorResponse, outcomeResponse, type WebhookResponse, webhookErrorResponse } from './http/responses.ts';

export interface DeliveryDependencies {
  readonly auth: Authenticator;
  /** Loaded with the first delivery that erases. */
  readonly erasures: () => Promise<ErasureService>;
  readonly todoApplicationId: string | undefined;
  readonly eraseBeforeCommit: boolean;
  /** How long a delivery erases inline before the worker takes the rest (when there is a queue). */
  readonly inlineBudgetMs: number;
  /** Whether a queue takes what a delivery leaves; without one, a delivery erases until the Lambda's time is nearly up. */
  readonly hasQueue: boolean;
  /** Told of each delivery as it is logged; `npm start`'s inspector listens here. */
  readonly onDelivery?: (summary: DeliverySummary, context: Context | undefined) => void;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** What the one log line of a delivery says; never a key, a body or an e-mail address. */
export interface DeliveryRecord {
  eventId?: string;
  eventType?: string;
  outcome?: HandlerOutcome['status'] | 'rejected' | 'failed';
  reason?: string;
  /** The event had been received before: nothing was done again. */
  duplicate?: true;
  /** The erasure was handed to the worker to finish. */
  continued?: true;
  todosDeleted?: number;
  error?: unknown;
}

/** A delivery's log line, as an observer (the local inspector) receives it. */
export type DeliverySummary = Omit<DeliveryRecord, 'error'> & { readonly status: number; readonly durationMs: number };

export type DeliveryHandler = (event: unknown, context?: Context) => Promise<WebhookResponse>;

/** The Lambda handler, wired to its dependencies; it never throws and never rejects. */
export function createDeliveryHandler(deps: DeliveryDependencies): DeliveryHandler {
  return async (event, context) => {
    const started = performance.now();
    const record: DeliveryRecord = {};
    let response: WebhookResponse;
    try {
      response = await answer(event, context, deps, record);
    } catch (error) {
      response = failureResponse(error, record);
    }
    report(deps, record, response.statusCode, performance.now() - started, context);
    return response;
  };
}

/** The request's story: method, credentials, body, its signature, event, handler. */
async function answer(event: unknown, context: Context | undefined, deps: DeliveryDependencies, record: DeliveryRecord): Promise<WebhookResponse> {
  const request = readRequest(event);
  await deps.auth.checkHeaders(request);
  const body = readBody(request);
  await deps.auth.checkBody(request, body);
  const delivery = parseDelivery(body);
  record.eventId = delivery.id;
  record.eventType = delivery.type;
  // Most deliveries (logins, refreshes) have no handler: they cost neither a digest nor a timer.
  const outcome = hasHandler(delivery.type)
    ? await dispatch(delivery, await handlerContext(delivery, deps, context))
    : ({ status: 'ignored', reason: 'no handler for this type' } as const);
  Object.assign(record, summarise(outcome));
  return outcomeResponse(outcome.status, delivery.type);
}

async function handlerContext(delivery: Delivery, deps: DeliveryDependencies, context: Context | undefined): Promise<HandlerContext> {
  const erasures = await deps.erasures();
  const now = Date.now();
  return {
    erasures,
    todoApplicationId: deps.todoApplicationId,
    eraseBeforeCommit: deps.eraseBeforeCommit,
    limits: deliveryLimits(now, deps, context),
    // Of the event as parsed, not of the bytes: whitespace a proxy (or curl) changed is no other event.
    event: { id: delivery.id, type: delivery.type, digest: bodyDigest(JSON.stringify(delivery.event)).toString('base64'), at: now },
  };
}

const summarise = (outcome: HandlerOutcome): Partial<DeliveryRecord> => ({
  outcome: outcome.status,
  ...(outcome.status !== 'ignored' && outcome.duplicate && { duplicate: true }),
  ...(outcome.status === 'handled' && { todosDeleted: outcome.todosDeleted, ...(outcome.continued && { continued: true }) }),
  ...(outcome.status === 'ignored' && { reason: outcome.reason }),
});

/** Time kept back from the Lambda's timeout to answer and log. */
const ANSWER_MARGIN_MS = 1_000;
/** Deletions under way at the deadline get this long before they are aborted; recording what they did, as long again. */
const HAND_OFF_MS = 1_000;

/**
 * When inline erasing must stop: after the budget when a queue can take the rest, otherwise as
 * late as the Lambda's remaining time allows, less the time to record what was done. Whatever is
 * still on the wire is aborted before the Lambda's own time is up, so neither the SDK's retries
 * nor a stuck socket outlast it.
 */
export function deliveryLimits(
  now: number,
  { inlineBudgetMs, hasQueue }: Pick<DeliveryDependencies, 'inlineBudgetMs' | 'hasQueue'>,
  context: Pick<Context, 'getRemainingTimeInMillis'> | undefined,
): RunLimits {
  const remaining = context ? context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS : undefined;
  const lambdaLimit = remaining === undefined ? Number.POSITIVE_INFINITY : now + remaining - 2 * HAND_OFF_MS;
  const deadline = Math.min(hasQueue ? now + inlineBudgetMs : Number.POSITIVE_INFINITY, lambdaLimit);
  if (remaining === undefined) return { deadline };
  return {
    deadline,
    eraseSignal: AbortSignal.timeout(Math.max(0, remaining - HAND_OFF_MS)),
    signal: AbortSignal.timeout(Math.max(0, remaining)),
  };
}

function failureResponse(error: unknown, record: DeliveryRecord): WebhookResponse {
  if (error instanceof WebhookError && error.statusCode < 500) {
    record.outcome = 'rejected';
    record.reason = error.code;
    return webhookErrorResponse(error);
  }
  record.outcome = 'failed';
  record.error = error;
  if (error instanceof TodosRemainError || error instanceof DeletionUnfinishedError) record.todosDeleted = error.deleted;
  if (error instanceof WebhookError) return webhookErrorResponse(error);
  const what = record.eventType ? `the ${record.eventType} event` : 'the request';
  return errorResponse(500, '[handlerFailed]', `The webhook failed to handle ${what}; see its logs.`);
}

function report(
  { logger, metrics, onDelivery }: DeliveryDependencies,
  record: DeliveryRecord,
  status: number,
  durationMs: number,
  context: Context | undefined,
): void {
  if (context) logger.addContext(context);
  const { error, ...fields } = record;
  const line: DeliverySummary = { ...fields, status, durationMs: Math.round(durationMs * 100) / 100 };
  if (error === undefined) logger.info('delivery', line);
  else logger.error('delivery', { ...line, error: describe(error) });
  onDelivery?.(line, context);

  // Any string can arrive as a type: only FusionAuth's own name a metric of their own.
  const eventType = record.eventType === undefined ? 'none' : isPassportEventType(record.eventType) ? record.eventType : 'other';
  metrics.addDimensions({ eventType, outcome: record.outcome ?? 'rejected' });
  metrics.addMetric('Deliveries', MetricUnit.Count, 1);
  metrics.addMetric('DeliveryDuration', MetricUnit.Milliseconds, durationMs);
  if (record.todosDeleted) metrics.addMetric('TodosDeleted', MetricUnit.Count, record.todosDeleted);
  if (record.continued) metrics.addMetric('DeletionsQueued', MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
}

/** Enough of an error to act on, without the event that caused it. */
function describe(error: unknown): Record<string, unknown> {
  if (error instanceof TodosRemainError) return { name: error.name, message: error.message, remaining: error.remaining };
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? { name: error.cause.name, message: error.cause.message } : undefined;
    const reason = error instanceof CredentialsUnavailableError ? error.reason : undefined;
    return { name: error.name, message: error.message, reason, cause, stack: error.stack };
  }
  return { name: typeof error, message: String(error) };
}
