import { readdirSync, readFileSync } from 'node:fs';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';

const EXAMPLES = new URL('../../examples/passport-events/', import.meta.url);

/** The FusionAuth documentation's example payloads shipped in examples/, by file name. */
export const examplePayloads = (): Map<string, string> =>
  new Map(
    readdirSync(EXAMPLES, { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.json'))
      .map((name) => [name, readFileSync(new URL(name, EXAMPLES), 'utf8')]),
  );

export const examplePayload = (name: string): string => readFileSync(new URL(name, EXAMPLES), 'utf8');

export interface RequestShape {
  body?: string;
  headers?: Record<string, string>;
  method?: string;
  isBase64Encoded?: boolean;
}

/** An HTTP API payload format 2.0 event as API Gateway sends it: header names lower-cased. */
export function httpApiEvent({ body, headers = {}, method = 'POST', isBase64Encoded = false }: RequestShape): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /passport-webhook',
    rawPath: '/passport-webhook',
    rawQueryString: '',
    headers: Object.fromEntries(Object.entries({ 'content-type': 'application/json', ...headers }).map(([k, v]) => [k.toLowerCase(), v])),
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path: '/passport-webhook', protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'Passport' },
      requestId: 'request-id',
      routeKey: 'POST /passport-webhook',
      stage: '$default',
      time: '29/Nov/2026:12:00:00 +0000',
      timeEpoch: 1_795_953_600_000,
    },
    body,
    isBase64Encoded,
  };
}

/** A REST API (payload format 1.0) event: header names as the client sent them, plus the multi-value map. */
export function restApiEvent({ body, headers = {}, method = 'POST', isBase64Encoded = false }: RequestShape): APIGatewayProxyEvent {
  return {
    resource: '/passport-webhook',
    path: '/passport-webhook',
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
    body: body ?? null,
    isBase64Encoded,
  };
}

export const passportEvent = (event: Record<string, unknown>): string => JSON.stringify({ event });
