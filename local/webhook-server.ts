import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { DeliveryHandler } from '../lambda/delivery.ts';
import { errorResponse, type WebhookResponse } from '../lambda/http/responses.ts';
import { WEBHOOK_PATH } from '../infra/names.ts';
import { toHttpApiEvent } from './http-api-event.ts';
import { lambdaContext } from './lambda-context.ts';

/** Lambda refuses larger synchronous payloads; API Gateway answers 413 before the function runs. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const TIMEOUT_MS = 29_000;

/** One request to the webhook and its answer, as the inspector shows them. */
export interface Exchange {
  /** The Lambda context's request id, which the handler's delivery summary also carries. */
  readonly requestId: string;
  readonly receivedAt: Date;
  readonly event: APIGatewayProxyEventV2 | undefined;
  readonly response: WebhookResponse;
  readonly durationMs: number;
}

export interface WebhookServerOptions {
  /** Told of every request to the webhook path once it is answered. */
  readonly onExchange?: (exchange: Exchange) => void;
  /** Serves every other path (the inspector); without it they are 404, as on API Gateway. */
  readonly otherPaths?: RequestListener;
}

interface Reply {
  statusCode: number;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * An HTTP server that does what API Gateway's HTTP API route does for the webhook: each request
 * to WEBHOOK_PATH becomes a payload 2.0 event for the handler, and its result becomes the answer.
 */
export function createWebhookServer(handler: DeliveryHandler, options: WebhookServerOptions = {}): Server {
  return createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path !== WEBHOOK_PATH) {
      if (options.otherPaths) return options.otherPaths(request, response);
      send(response, { statusCode: 404, body: JSON.stringify({ message: 'Not Found' }) });
      request.resume();
      return;
    }
    serve(handler, request, response, options.onExchange).catch(() => {
      if (!response.headersSent) send(response, { statusCode: 500, body: JSON.stringify({ message: 'Internal Server Error' }) });
    });
  });
}

async function serve(
  handler: DeliveryHandler,
  request: IncomingMessage,
  response: ServerResponse,
  onExchange: WebhookServerOptions['onExchange'],
): Promise<void> {
  const receivedAt = new Date();
  const started = performance.now();
  const context = lambdaContext('passport-webhook-local', TIMEOUT_MS);
  const body = await readBody(request);
  let event: APIGatewayProxyEventV2 | undefined;
  let reply: WebhookResponse;
  if (body) {
    event = toHttpApiEvent(request, body, `POST ${WEBHOOK_PATH}`);
    reply = await handler(event, context);
  } else {
    reply = errorResponse(413, '[tooLarge]', `The request body is larger than ${MAX_PAYLOAD_BYTES} bytes.`);
    response.on('finish', () => request.destroy());
  }
  send(response, reply);
  onExchange?.({ requestId: context.awsRequestId, receivedAt, event, response: reply, durationMs: performance.now() - started });
}

/** The body, or undefined once it passes what Lambda would accept (the rest is left unread). */
function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_PAYLOAD_BYTES) return void chunks.push(chunk);
      request.off('data', onData).pause();
      resolve(undefined);
    };
    request.on('data', onData);
    request.once('end', () => resolve(Buffer.concat(chunks)));
    request.once('error', reject);
  });
}

function send(response: ServerResponse, reply: Reply): void {
  const body = reply.body ?? '';
  response.writeHead(reply.statusCode, {
    'content-type': 'application/json',
    ...reply.headers,
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}
