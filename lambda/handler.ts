import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { Authenticator } from './auth/authenticate.ts';
import type { Deduplicator } from './dedupe/deduplicator.ts';
import { CredentialsUnavailableError, TodosRemainError, WebhookError } from './errors.ts';
import { parseDelivery } from './events/parse.ts';
import type { HandlerContext } from './handlers/handler.ts';
import { dispatch } from './handlers/index.ts';
import { readBody, readRequest } from './http/request.ts';
import { errorResponse, outcomeResponse, type WebhookResponse, webhookErrorResponse } from './http/responses.ts';

export interface WebhookDependencies extends HandlerContext {
  readonly auth: Authenticator;
  /** Absent: every delivery of an event runs its handler (which is safe, only slower). */
  readonly dedupe?: Deduplicator;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** What the one log line of a delivery says; never a key, a body or an e-mail address. */
interface DeliveryRecord {
  eventId?: string;
  eventType?: string;
  outcome?: 'handled' | 'ignored' | 'rejected' | 'failed';
  reason?: string;
  /** The event id had already been handled: its stored outcome was answered. */
  duplicate?: true;
  todosDeleted?: number;
  error?: unknown;
}

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
  const outcome = await dispatch(delivery, deps, deps.dedupe, context);
  record.outcome = outcome.status;
  if (outcome.duplicate) record.duplicate = true;
  if (outcome.status === 'handled') record.todosDeleted = outcome.todosDeleted;
  else record.reason = outcome.reason;
  return outcomeResponse(outcome.status, delivery.type);
}

function failureResponse(error: unknown, record: DeliveryRecord): WebhookResponse {
  if (error instanceof WebhookError && error.statusCode < 500) {
    record.outcome = 'rejected';
    record.reason = error.code;
    return webhookErrorResponse(error);
  }
  record.outcome = 'failed';
  record.error = error;
  if (error instanceof TodosRemainError) record.todosDeleted = error.deleted;
  if (error instanceof WebhookError) return webhookErrorResponse(error);
  const what = record.eventType ? `the ${record.eventType} event` : 'the request';
  return errorResponse(500, '[handlerFailed]', `The webhook failed to handle ${what}; see its logs.`);
}

function report(
  { logger, metrics }: WebhookDependencies,
  record: DeliveryRecord,
  status: number,
  durationMs: number,
  context: Context | undefined,
): void {
  if (context) logger.addContext(context);
  const { error, ...fields } = record;
  const line = { ...fields, status, durationMs: Math.round(durationMs * 100) / 100 };
  if (error === undefined) logger.info('delivery', line);
  else logger.error('delivery', { ...line, error: describe(error) });

  metrics.addDimensions({ eventType: record.eventType ?? 'none', outcome: record.outcome ?? 'rejected' });
  metrics.addMetric('Deliveries', MetricUnit.Count, 1);
  metrics.addMetric('DeliveryDuration', MetricUnit.Milliseconds, durationMs);
  if (record.todosDeleted) metrics.addMetric('TodosDeleted', MetricUnit.Count, record.todosDeleted);
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
