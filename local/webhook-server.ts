import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Context } from 'aws-lambda';
import type { WebhookHandler } from '../lambda/handler.ts';
import { errorResponse } from '../lambda/http/responses.ts';
import { toHttpApiEvent } from './http-api-event.ts';
import { lambdaContext } from './lambda-context.ts';

export const WEBHOOK_PATH = '/passport-webhook';
/** Lambda refuses larger synchronous payloads; API Gateway answers 413 before the function runs. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const TIMEOUT_MS = 29_000;

interface Reply {
  statusCode: number;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * An HTTP server that does what API Gateway's HTTP API route does for the webhook: each request
 * to WEBHOOK_PATH becomes a payload 2.0 event for the handler, and its result becomes the answer.
 */
export function createWebhookServer(handler: WebhookHandler): Server {
  return createServer((request, response) => {
    serve(handler, request, response).catch(() => {
      if (!response.headersSent) send(response, { statusCode: 500, body: JSON.stringify({ message: 'Internal Server Error' }) });
    });
  });
}

async function serve(handler: WebhookHandler, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (path !== WEBHOOK_PATH) {
    send(response, { statusCode: 404, body: JSON.stringify({ message: 'Not Found' }) });
    request.resume();
    return;
  }
  const body = await readBody(request);
  if (!body) {
    send(response, errorResponse(413, '[tooLarge]', `The request body is larger than ${MAX_PAYLOAD_BYTES} bytes.`));
    response.on('finish', () => request.destroy());
    return;
  }
  const event = toHttpApiEvent(request, body, `POST ${WEBHOOK_PATH}`);
  const context: Context = lambdaContext('passport-webhook-local', TIMEOUT_MS);
  send(response, await handler(event, context));
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
