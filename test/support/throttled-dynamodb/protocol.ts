/**
 * The DynamoDB JSON 1.0 wire as the front speaks it: answers it makes up itself (throttling
 * errors, batch answers it edited), and the backend calls it makes on a client's behalf.
 */
import { randomBytes } from 'node:crypto';
import { Agent, type IncomingHttpHeaders, type OutgoingHttpHeaders, request } from 'node:http';
import { crc32 } from 'node:zlib';
import type { LimitType } from './meter.ts';

export const TARGET_PREFIX = 'DynamoDB_20120810.';
export const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';
/** The namespace DynamoDB puts in front of its error names in `__type`. */
const ERROR_NAMESPACE = 'com.amazonaws.dynamodb.v20120810#';

/** An HTTP answer, whole: the front buffers every body, as it has to read most of them. */
export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** The two errors DynamoDB throttles data-plane requests with; the AWS SDKs retry both as throttling. */
export type ThrottlingErrorName = 'ProvisionedThroughputExceededException' | 'ThrottlingException';

/**
 * The Developer Guide's message for ProvisionedThroughputExceededException ("Error handling
 * with DynamoDB", error messages and codes).
 */
export const PROVISIONED_THROUGHPUT_EXCEEDED_MESSAGE =
  'You exceeded your maximum allowed provisioned throughput for a table or for one or more global secondary indexes. ' +
  'To view performance metrics for provisioned throughput vs. consumed throughput, open the Amazon CloudWatch console.';

/** What DynamoDB answers an on-demand table's hot key with, as reported from production. */
export const THROTTLING_MESSAGE =
  'Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or ' +
  'index so please try again shortly. If exceptions persist, check if you have a hot key: ' +
  'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html';

/** One entry of an error's ThrottlingReasons: `reason` is ResourceType + OperationType + LimitType. */
export interface ThrottlingReason {
  readonly reason: string;
  readonly resource: string;
}

export function throttlingReason(
  capacity: 'read' | 'write',
  limit: LimitType,
  resource: { readonly index?: string | undefined; readonly arn: string },
): ThrottlingReason {
  const resourceType = resource.index === undefined ? 'Table' : 'Index';
  return { reason: `${resourceType}${capacity === 'read' ? 'Read' : 'Write'}${limit}`, resource: resource.arn };
}

/**
 * HTTP 400 with the error as DynamoDB writes it. The list member is spelt as each error's shape
 * has it: `ThrottlingReasons` on ProvisionedThroughputExceededException, `throttlingReasons` on
 * ThrottlingException.
 */
export function throttlingReply(name: ThrottlingErrorName, reasons: readonly ThrottlingReason[]): Reply {
  const body =
    name === 'ProvisionedThroughputExceededException'
      ? { __type: ERROR_NAMESPACE + name, message: PROVISIONED_THROUGHPUT_EXCEEDED_MESSAGE, ThrottlingReasons: reasons }
      : { __type: ERROR_NAMESPACE + name, message: THROTTLING_MESSAGE, throttlingReasons: reasons };
  return jsonReply(400, body);
}

/** A JSON answer with the headers DynamoDB sends: request id, CRC32 of the body, length. */
export function jsonReply(status: number, body: unknown, headers: IncomingHttpHeaders = {}): Reply {
  const bytes = Buffer.from(JSON.stringify(body), 'utf8');
  return {
    status,
    headers: {
      ...withoutFraming(headers),
      'content-type': JSON_CONTENT_TYPE,
      'x-amzn-requestid': headers['x-amzn-requestid'] ?? requestId(),
      'x-amz-crc32': String(crc32(bytes)),
      'content-length': String(bytes.length),
    },
    body: bytes,
  };
}

/** The backend's answer with its JSON body replaced (CRC32 and length follow the new body). */
export const withBody = (reply: Reply, body: unknown): Reply => jsonReply(reply.status, body, reply.headers);

/** The body as JSON, or undefined when it is not. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The error name of a DynamoDB error answer (`ConditionalCheckFailedException`), if it is one. */
export function errorName(reply: Reply): string | undefined {
  if (reply.status < 400) return undefined;
  const body = parseJson(reply.body) as { __type?: unknown } | undefined;
  return typeof body?.__type === 'string' ? body.__type.split('#').pop() : undefined;
}

/** DynamoDB's request ids are 52 characters of upper-case letters and digits. */
const requestId = (): string => randomBytes(39).toString('base64').toUpperCase().replace(/[+/]/g, '0');

/** Connection-level headers that describe one hop, not the message, and must not be relayed. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade']);

export function withoutFraming(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const kept: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name)) kept[name] = value;
  return kept;
}

/**
 * Headers that carry who is asking, copied from the client's request onto the front's own calls:
 * a local DynamoDB keeps data per access key and region, and wants a signed-looking request even
 * though it checks no signature.
 */
const IDENTITY_HEADERS = ['authorization', 'x-amz-date', 'x-amz-security-token', 'host'];

/**
 * How long the front waits for the backend's answer. dynalite throws, and never answers, on some
 * input (a null in a list of write requests): the client then gets a 500 rather than a hang.
 */
export const BACKEND_TIMEOUT_MS = 30_000;

/** The DynamoDB the front stands in front of. */
export class Backend {
  readonly #url: URL;
  readonly #timeoutMs: number;
  // Keep-alive: the front makes one or two backend calls per request it meters.
  readonly #agent = new Agent({ keepAlive: true });

  constructor(endpoint: string, timeoutMs = BACKEND_TIMEOUT_MS) {
    this.#url = new URL(endpoint);
    this.#timeoutMs = timeoutMs;
  }

  /** The client's request, sent on as it came. */
  relay(method: string, path: string, headers: IncomingHttpHeaders, body: Buffer): Promise<Reply> {
    return this.#send(method, path, { ...withoutFraming(headers), 'content-length': body.length }, body);
  }

  /** An operation of the front's own, with the identity of the client it is serving. */
  call(operation: string, payload: unknown, client: IncomingHttpHeaders): Promise<Reply> {
    const headers: OutgoingHttpHeaders = {
      'content-type': JSON_CONTENT_TYPE,
      'x-amz-target': TARGET_PREFIX + operation,
    };
    for (const name of IDENTITY_HEADERS) if (client[name] !== undefined) headers[name] = client[name];
    const body = Buffer.from(JSON.stringify(payload), 'utf8');
    headers['content-length'] = body.length;
    return this.#send('POST', '/', headers, body);
  }

  /** Ends the idle keep-alive sockets. */
  close(): void {
    this.#agent.destroy();
  }

  #send(method: string, path: string, headers: OutgoingHttpHeaders, body: Buffer): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const { protocol, hostname, port } = this.#url;
      const options = { protocol, hostname, port, method, path, headers, agent: this.#agent };
      const outgoing = request(options, (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', reject);
        incoming.on('end', () => {
          resolve({ status: incoming.statusCode ?? 502, headers: incoming.headers, body: Buffer.concat(chunks) });
        });
      });
      outgoing.setTimeout(this.#timeoutMs, () => outgoing.destroy(new Error('the backend did not answer in time')));
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }
}
