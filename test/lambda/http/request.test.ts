import { describe, expect, it } from 'vitest';
import { InvalidEventError, MethodNotAllowedError, PayloadTooLargeError } from '../../../lambda/errors.ts';
import { MAX_BODY_BYTES, readBody, readRequest, singleHeader } from '../../../lambda/http/request.ts';
import { httpApiEvent, restApiEvent } from '../../support/events.ts';
import { thrown } from '../../support/thrown.ts';

describe('readRequest', () => {
  it('reads an HTTP API 2.0 event', () => {
    const request = readRequest(httpApiEvent({ body: '{}', headers: { Authorization: 'k' } }));
    expect(request).toMatchObject({ method: 'POST', body: '{}', isBase64Encoded: false });
    expect(singleHeader(request, 'Authorization')).toBe('k');
  });

  it('reads a REST API 1.0 event, header names in any case', () => {
    const request = readRequest(restApiEvent({ body: '{}', headers: { AUTHORIZATION: 'k', 'Content-Type': 'application/json' } }));
    expect(singleHeader(request, 'authorization')).toBe('k');
    expect(singleHeader(request, 'content-type')).toBe('application/json');
  });

  it('reads a REST API event that carries only the single-value map', () => {
    const event = { ...restApiEvent({ body: '{}', headers: { Authorization: 'k' } }), multiValueHeaders: undefined };
    expect(singleHeader(readRequest(event), 'authorization')).toBe('k');
  });

  it.each(['GET', 'PUT', 'DELETE', 'OPTIONS', 'post', undefined])('refuses method %s with 405', (method) => {
    const event = httpApiEvent({ body: '{}' });
    (event.requestContext.http as { method?: string }).method = method;
    expect(() => readRequest(event)).toThrow(MethodNotAllowedError);
  });

  it.each([null, undefined, 42, 'text', [], {}])('refuses a non-API Gateway event (%j) with 405, not a crash', (event) => {
    expect(() => readRequest(event)).toThrow(MethodNotAllowedError);
  });

  it('treats one header sent twice with different values as absent', () => {
    const event = restApiEvent({ headers: { Authorization: 'a', authorization: 'b' } });
    expect(singleHeader(readRequest(event), 'authorization')).toBeUndefined();
    const same = restApiEvent({ headers: { Authorization: 'a', authorization: 'a' } });
    expect(singleHeader(readRequest(same), 'authorization')).toBe('a');
  });

  it('trims the optional whitespace around a header value', () => {
    expect(singleHeader(readRequest(httpApiEvent({ headers: { authorization: '  k\t' } })), 'authorization')).toBe('k');
  });

  it('ignores header values that are not strings', () => {
    const event = { ...httpApiEvent({}), headers: { authorization: 42 } };
    expect(singleHeader(readRequest(event), 'authorization')).toBeUndefined();
  });
});

describe('readBody', () => {
  const body = (shape: Parameters<typeof httpApiEvent>[0]) => readBody(readRequest(httpApiEvent(shape)));

  it('returns a text body as its UTF-8 bytes', () => {
    expect(body({ body: '{"é":1}' }).toString('utf8')).toBe('{"é":1}');
  });

  it('decodes a base64 body', () => {
    expect(body({ body: Buffer.from('{"a":1}').toString('base64'), isBase64Encoded: true }).toString()).toBe('{"a":1}');
  });

  it('treats a missing body as empty', () => {
    expect(body({}).length).toBe(0);
  });

  it.each(['not base64!', 'YWJj=', 'YW Jj', 'YWJ', '****'])('refuses %j marked base64 with [invalidBase64]', (text) => {
    const error = thrown(() => body({ body: text, isBase64Encoded: true }));
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(error).toMatchObject({ statusCode: 400, code: '[invalidBase64]' });
  });

  it('accepts exactly 1 MiB and refuses one byte more, as text and as base64', () => {
    const limit = 'x'.repeat(MAX_BODY_BYTES);
    expect(body({ body: limit }).length).toBe(MAX_BODY_BYTES);
    expect(() => body({ body: `${limit}x` })).toThrow(PayloadTooLargeError);
    expect(body({ body: Buffer.from(limit).toString('base64'), isBase64Encoded: true }).length).toBe(MAX_BODY_BYTES);
    expect(() => body({ body: Buffer.from(`${limit}x`).toString('base64'), isBase64Encoded: true })).toThrow(PayloadTooLargeError);
  });

  it('counts bytes, not characters', () => {
    expect(() => body({ body: 'é'.repeat(MAX_BODY_BYTES / 2 + 1) })).toThrow(PayloadTooLargeError);
  });
});
