import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { Authenticator } from './auth/authenticate.ts';
import type { DedupedOutcome, Deduplicator } from './dedupe/deduplicator.ts';
import { CredentialsUnavailableError, DeletionUnfinishedError, TodosRemainError, WebhookError } from './errors.ts';
import { type Delivery, parseDelivery } from './events/parse.ts';
import type { DeletionQueue } from './deletion/queue.ts';
import type { HandlerContext } from './handlers/handler.ts';
import { dispatch } from './handlers/index.ts';
import { readBody, readRequest } from './http/request.ts';
import { errorResponse, outcomeResponse, type WebhookResponse, webhookErrorResponse } from './http/responses.ts';

export interface WebhookDependencies extends Pick<HandlerContext, 'todos' | 'todoApplicationId'> {
  readonly auth: Authenticator;
  /** How long a delivery may delete inline before queueing the rest (when there is a queue). */
  readonly deleteBudgetMs: number;
  /** Where unfinished deletions go; absent, a delivery deletes until the Lambda's time is nearly up. */
  readonly queue?: DeletionQueue;
  /** Told of each delivery as it is logged; `npm start`'s inspector listens here. */
  readonly onDelivery?: (summary: DeliverySummary, context: Context | undefined) => void;
  /** Absent: every delivery of an event runs its handler (which is safe, only slower). */
  readonly dedupe?: Deduplicator;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** What the one log line of a delivery says; never a key, a body or an e-mail address. */
export interface DeliveryRecord {
  eventId?: string;
  eventType?: string;
  outcome?: 'handled' | 'ignored' | 'rejected' | 'failed';
  reason?: string;
  /** The event id had already been handled: its stored outcome was answered. */
  duplicate?: true;
  /** The deletion was handed to the worker to finish. */
  continued?: true;
  todosDeleted?: number;
  error?: unknown;
}

/** A delivery's log line, as an observer (the local inspector) receives it. */
export type DeliverySummary = Omit<DeliveryRecord, 'error'> & { readonly status: number; readonly durationMs: number };

export type WebhookHandler = (event: unknown, context?: Context) => Promise<WebhookResponse>;

/** The Lambda handler, wired to its dependencies; it never throws and never rejects. */
export function createWebhookHandler(deps: WebhookDependencies): WebhookHandler {
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
async function answer(
  event: unknown,
  context: Context | undefined,
  deps: WebhookDependencies,
  record: DeliveryRecord,
): Promise<WebhookResponse> {
  const request = readRequest(event);
  await deps.auth.checkHeaders(request);
  const body = readBody(request);
  await deps.auth.checkBody(request, body);
  const delivery = parseDelivery(body);
  record.eventId = delivery.id;
  record.eventType = delivery.type;
  const outcome = await dispatch(delivery, handlerContext(delivery, deps, context), deps.dedupe, context);
  Object.assign(record, summarise(outcome));
  return outcomeResponse(outcome.status, delivery.type);
}

function handlerContext(delivery: Delivery, deps: WebhookDependencies, context: Context | undefined): HandlerContext {
  return {
    todos: deps.todos,
    todoApplicationId: deps.todoApplicationId,
    queue: deps.queue,
    deadline: deletionDeadline(Date.now(), deps, context),
    delivery: { type: delivery.type, id: delivery.id },
  };
}

const summarise = (outcome: DedupedOutcome): Partial<DeliveryRecord> => ({
  outcome: outcome.status,
  ...(outcome.duplicate && { duplicate: true }),
  ...(outcome.status === 'handled'
    ? { todosDeleted: outcome.todosDeleted, ...(outcome.continued && { continued: true }) }
    : { reason: outcome.reason }),
});

/** Time kept back from the Lambda's timeout to answer and log. */
const ANSWER_MARGIN_MS = 1_000;

/**
 * When inline work must stop: after the budget when a queue can take the rest, otherwise as late
 * as the Lambda's remaining time allows. Never past that time either way.
 */
export function deletionDeadline(
  now: number,
  { deleteBudgetMs, queue }: Pick<WebhookDependencies, 'deleteBudgetMs' | 'queue'>,
  context: Pick<Context, 'getRemainingTimeInMillis'> | undefined,
): number {
  const lambdaLimit = context ? now + context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS : Number.POSITIVE_INFINITY;
  return Math.min(queue ? now + deleteBudgetMs : Number.POSITIVE_INFINITY, lambdaLimit);
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
  { logger, metrics, onDelivery }: WebhookDependencies,
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

  metrics.addDimensions({ eventType: record.eventType ?? 'none', outcome: record.outcome ?? 'rejected' });
  metrics.addMetric('Deliveries', MetricUnit.Count, 1);
  metrics.addMetric('DeliveryDuration', MetricUnit.Milliseconds, durationMs);
  if (record.todosDeleted) metrics.addMetric('TodosDeleted', MetricUnit.Count, record.todosDeleted);
  if (record.continued) metrics.addMetric('DeletionsQueued', MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
}

/** Enough of an error to act on, without the event that caused it. */
function describe(error: unknown): Record<string, unknown> {
  if (error instanceof TodosRemainError) {
    return { name: error.name, message: error.message, remaining: error.remaining };
  }
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? { name: error.cause.name, message: error.cause.message } : undefined;
    const reason = error instanceof CredentialsUnavailableError ? error.reason : undefined;
    return { name: error.name, message: error.message, reason, cause, stack: error.stack };
  }
  return { name: typeof error, message: String(error) };
}
