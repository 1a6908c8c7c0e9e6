import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import type { DeliveryHandler } from '../lambda/delivery.ts';
import { errorResponse, type WebhookResponse } from '../lambda/http/responses.ts';
import { EDGE_ANSWERS, type EdgeAnswer, edgeAnswerBody, WEBHOOK_STAGE } from '../infra/edge-policy.ts';
import { WEBHOOK_PATH } from '../infra/names.ts';
import type { LocalEdge } from './edge.ts';
import { toHttpApiEvent } from './http-api-event.ts';
import { lambdaContext } from './lambda-context.ts';
import { sourceAddress, toRestApiEvent } from './rest-api-event.ts';

/** Lambda refuses larger synchronous payloads; API Gateway answers 413 before the function runs. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const TIMEOUT_MS = 29_000;
/**
 * How long the rest of a refused body is read and dropped before the connection is cut. Closing with
 * unread bytes makes the kernel send a reset, and a client still writing then loses the 413.
 */
const LINGER_MS = 5_000;

/** The event a request became: payload 1.0 from a REST API, 2.0 from an HTTP API. */
export type WebhookEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2;

/** One request the function answered, as the inspector shows it. */
export interface Exchange {
  /** The Lambda context's request id, which the handler's delivery summary also carries. */
  readonly requestId: string;
  readonly receivedAt: Date;
  readonly event: WebhookEvent | undefined;
  readonly response: WebhookResponse;
  readonly durationMs: number;
}

export interface WebhookServerOptions {
  /** Told of every request the function answered, once it is answered. */
  readonly onExchange?: (exchange: Exchange) => void;
  /** Serves every other path (the inspector); without it they are 404, as on API Gateway. */
  readonly otherPaths?: RequestListener;
  /**
   * The API in front of the function: `rest`, as the construct deploys it, hands it payload 1.0
   * events and answers in front of it as the edge does (`edge`); `http` hands every request to the
   * function as payload 2.0, as an HTTP API route of any method would.
   * @default 'http'
   */
  readonly api?: 'rest' | 'http';
  /** With `api: 'rest'`: the WAF rules, route, throttle and resource policy, as deployed; none, only the route. */
  readonly edge?: LocalEdge;
}

/** What the function reads of a request, whichever payload format carried it; header names lower-cased. */
export function requestOf(event: WebhookEvent): { method: string; headers: Record<string, string>; body: string; isBase64Encoded: boolean } {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = value;
  const method = 'httpMethod' in event ? event.httpMethod : event.requestContext.http.method;
  return { method, headers, body: event.body ?? '', isBase64Encoded: event.isBase64Encoded };
}

interface Reply {
  statusCode: number;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * An HTTP server that does what API Gateway does for the webhook: each request to WEBHOOK_PATH
 * becomes an event for the handler, and its result becomes the answer. As a REST API (`api:
 * 'rest'`) only POST is routed, and the edge may answer first, as it would in AWS.
 */
export function createWebhookServer(handler: DeliveryHandler, options: WebhookServerOptions = {}): Server {
  const rest = options.api === 'rest';
  return createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path !== WEBHOOK_PATH) {
      if (options.otherPaths) return options.otherPaths(request, response);
      send(response, { statusCode: 404, body: JSON.stringify({ message: 'Not Found' }) });
      request.resume();
      return;
    }
    if (rest) {
      const method = request.method ?? 'GET';
      const refusal = options.edge
        ? options.edge.answer({ method, sourceIp: sourceAddress(request) })
        : method === 'POST' ? undefined : EDGE_ANSWERS.noRoute;
      if (refusal) {
        sendEdgeAnswer(response, refusal);
        request.resume();
        return;
      }
    }
    serve(handler, request, response, options).catch(() => {
      if (!response.headersSent) send(response, { statusCode: 500, body: JSON.stringify({ message: 'Internal Server Error' }) });
    });
  });
}

/** An answer of the edge: WAF's custom response or API Gateway's gateway response, JSON as configured. */
function sendEdgeAnswer(response: ServerResponse, answer: EdgeAnswer): void {
  send(response, { statusCode: answer.statusCode, body: edgeAnswerBody(answer) });
}

async function serve(handler: DeliveryHandler, request: IncomingMessage, response: ServerResponse, options: WebhookServerOptions): Promise<void> {
  const receivedAt = new Date();
  const started = performance.now();
  const context = lambdaContext('passport-webhook-local', TIMEOUT_MS);
  const body = await readBody(request);
  let event: WebhookEvent | undefined;
  let reply: WebhookResponse;
  if (body) {
    event =
      options.api === 'rest'
        ? toRestApiEvent(request, body, { resource: WEBHOOK_PATH, stage: WEBHOOK_STAGE })
        : toHttpApiEvent(request, body, `POST ${WEBHOOK_PATH}`);
    reply = await handler(event, context);
  } else {
    reply = errorResponse(413, '[tooLarge]', `The request body is larger than ${MAX_PAYLOAD_BYTES} bytes.`);
    lingerThenCut(request);
  }
  send(response, reply);
  options.onExchange?.({ requestId: context.awsRequestId, receivedAt, event, response: reply, durationMs: performance.now() - started });
}

/** Drops what is left of the body; a sender still going after LINGER_MS is cut off. */
function lingerThenCut(request: IncomingMessage): void {
  const cut = setTimeout(() => request.destroy(), LINGER_MS).unref();
  request.once('end', () => clearTimeout(cut)).once('close', () => clearTimeout(cut)).resume();
}

/** The body, or undefined once it passes what Lambda would accept (nothing past that is kept). */
function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_PAYLOAD_BYTES) return void chunks.push(chunk);
      request.off('data', onData);
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
