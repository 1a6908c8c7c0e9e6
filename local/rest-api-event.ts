import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');
/** API Gateway's request time format: `12/Mar/2020:19:03:58 +0000`. */
const requestTime = (d: Date): string =>
  `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
  `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;

/** The caller's address as API Gateway reports it: an IPv4 client of a dual-stack socket is plain IPv4. */
export const sourceAddress = (request: IncomingMessage): string => {
  const address = request.socket.remoteAddress ?? '127.0.0.1';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
};

export interface RestApiEventOptions {
  /** The resource the method is on, `/passport-webhook`. */
  readonly resource: string;
  /** @default 'prod' */
  readonly stage?: string;
}

/**
 * The payload format 1.0 event a REST API's Lambda proxy integration hands the function for this
 * request: header names as sent, `headers` holding the last value of each and `multiValueHeaders`
 * all of them, and the body as text, as a REST API without binary media types passes it.
 */
export function toRestApiEvent(request: IncomingMessage, body: Buffer, options: RestApiEventOptions): APIGatewayProxyEvent {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const sourceIp = sourceAddress(request);
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const add = (name: string, value: string) => {
    // One entry per name whatever its case, under the case it was first sent in.
    const key = Object.keys(multiValueHeaders).find((known) => known.toLowerCase() === name.toLowerCase()) ?? name;
    headers[key] = value;
    (multiValueHeaders[key] ??= []).push(value);
  };
  for (let i = 0; i < request.rawHeaders.length; i += 2) add(request.rawHeaders[i]!, request.rawHeaders[i + 1]!);
  // What API Gateway adds in front of a Regional endpoint.
  add('X-Forwarded-For', sourceIp);
  add('X-Forwarded-Port', String(request.socket.localPort ?? 443));
  add('X-Forwarded-Proto', 'http');
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    (multiQuery[name] ??= []).push(value);
  }
  const hasQuery = Object.keys(query).length > 0;
  const stage = options.stage ?? 'prod';
  const now = new Date();
  const method = request.method ?? 'GET';
  const host = headers.Host ?? headers.host ?? 'localhost';
  return {
    resource: options.resource,
    path: url.pathname,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      authorizer: undefined,
      domainName: host,
      domainPrefix: host.split('.')[0]!,
      extendedRequestId: randomUUID(),
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp,
        user: null,
        userAgent: headers['User-Agent'] ?? headers['user-agent'] ?? null,
        userArn: null,
      },
      path: `/${stage}${url.pathname}`,
      protocol: `HTTP/${request.httpVersion}`,
      requestId: randomUUID(),
      requestTime: requestTime(now),
      requestTimeEpoch: now.getTime(),
      resourceId: 'local',
      resourcePath: options.resource,
      stage,
    },
    body: body.length > 0 ? body.toString('utf8') : null,
    isBase64Encoded: false,
  };
}
