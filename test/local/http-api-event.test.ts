import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { toHttpApiEvent } from '../../local/http-api-event.ts';

const request = (method: string, url: string, rawHeaders: string[]): IncomingMessage => {
  const message = new IncomingMessage(new Socket());
  Object.assign(message, { method, url, rawHeaders, httpVersion: '1.1' });
  return message;
};

describe('toHttpApiEvent', () => {
  it('builds the payload 2.0 event API Gateway sends', () => {
    const event = toHttpApiEvent(
      request('POST', '/passport-webhook?a=1&a=2', [
        'Authorization', 'key',
        'Content-Type', 'application/json',
        'X-Dup', 'one',
        'x-dup', 'two',
        'Cookie', 'a=1; b=2',
        'Host', 'localhost:3000',
      ]),
      Buffer.from('{"event":{}}'),
      'POST /passport-webhook',
    );
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /passport-webhook',
      rawPath: '/passport-webhook',
      rawQueryString: 'a=1&a=2',
      cookies: ['a=1', 'b=2'],
      headers: { authorization: 'key', 'content-type': 'application/json', 'x-dup': 'one,two', host: 'localhost:3000' },
      queryStringParameters: { a: '1,2' },
      requestContext: { http: { method: 'POST', path: '/passport-webhook' }, stage: '$default', domainName: 'localhost:3000' },
      body: '{"event":{}}',
      isBase64Encoded: false,
    });
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(event.headers).not.toHaveProperty('cookie');
  });

  it('base64-encodes a body whose content type is not text, or that is not UTF-8', () => {
    const binary = toHttpApiEvent(request('POST', '/', ['Content-Type', 'application/octet-stream']), Buffer.from('{}'), 'r');
    expect(binary).toMatchObject({ body: Buffer.from('{}').toString('base64'), isBase64Encoded: true });
    const invalid = toHttpApiEvent(request('POST', '/', ['Content-Type', 'application/json']), Buffer.from([0xff]), 'r');
    expect(invalid).toMatchObject({ body: '/w==', isBase64Encoded: true });
  });

  it('sends no body when there is none', () => {
    const event = toHttpApiEvent(request('GET', '/', []), Buffer.alloc(0), 'r');
    expect(event.body).toBeUndefined();
    expect(event.isBase64Encoded).toBe(false);
  });
});
