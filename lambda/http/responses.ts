import type { WebhookError } from '../errors.ts';

/** A result both HTTP API (2.0) and REST API (1.0) integrations accept. */
export interface WebhookResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const json = (statusCode: number, body: unknown): WebhookResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** `accepted`: recorded before FusionAuth's commit; `handled`: acted on; `ignored`: nothing to do. */
export const outcomeResponse = (status: 'accepted' | 'handled' | 'ignored', type: string): WebhookResponse =>
  json(200, { status, type });

/** The error shape of Passport's own example webhook. */
export const errorResponse = (statusCode: number, code: string, message: string): WebhookResponse =>
  json(statusCode, { errors: [{ code, message }] });

export const webhookErrorResponse = (error: WebhookError): WebhookResponse =>
  errorResponse(error.statusCode, error.code, error.message);
