import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { EDGE_ANSWERS, EDGE_DEFAULTS, resolveEdgePolicy, type EdgeSettings } from '../../infra/edge-policy.ts';
import { edgePolicyFromEnvironment, LocalEdge } from '../../local/edge.ts';
import { toRestApiEvent } from '../../local/rest-api-event.ts';

/** An edge on a clock the test moves, in milliseconds. */
function edge(settings: EdgeSettings = {}) {
  let now = 0;
  const local = new LocalEdge(resolveEdgePolicy(settings), () => now);
  return {
    local,
    advance: (ms: number) => (now += ms),
    post: (sourceIp = '198.51.100.7') => local.answer({ method: 'POST', sourceIp }),
    send: (count: number, sourceIp?: string) => Array.from({ length: count }, () => local.answer({ method: 'POST', sourceIp: sourceIp ?? '198.51.100.7' })),
  };
}

const names = (answers: readonly (object | undefined)[]) => {
  const byAnswer = new Map(Object.entries(EDGE_ANSWERS).map(([name, answer]) => [answer as object, name]));
  const counts: Record<string, number> = {};
  for (const answer of answers) {
    const name = answer === undefined ? 'passed' : byAnswer.get(answer)!;
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
};

describe('the stage throttle', () => {
  it('is a token bucket of burstLimit tokens refilled at rateLimit a second, as API Gateway describes it', () => {
    const { send, advance } = edge({ waf: false, rateLimit: 500, burstLimit: 1000 });
    expect(names(send(1001))).toEqual({ passed: 1000, throttled: 1 });
    advance(100); // 50 tokens back
    expect(names(send(60))).toEqual({ passed: 50, throttled: 10 });
    advance(10_000); // full again, and no fuller
    expect(names(send(1001))).toEqual({ passed: 1000, throttled: 1 });
  });

  it('answers 429 [throttled] in Passport\'s error shape', () => {
    const { send } = edge({ waf: false, rateLimit: 1, burstLimit: 1 });
    const [, throttled] = send(2);
    expect(throttled).toBe(EDGE_ANSWERS.throttled);
    expect(throttled).toMatchObject({ statusCode: 429, code: '[throttled]' });
  });
});

describe("WAF's per-source rule", () => {
  it('lets a source send perSourceLimit requests in the window, counts every request, and refuses the rest with 429 [rateLimited]', () => {
    const { send, advance } = edge({ perSourceLimit: 100, perSourceWindowSeconds: 60, rateLimit: 10_000, burstLimit: 5_000 });
    expect(names(send(100))).toEqual({ passed: 100 });
    expect(names(send(5))).toEqual({ rateLimited: 5 });
    // Another source is counted apart.
    expect(names(send(100, '198.51.100.8'))).toEqual({ passed: 100 });
    // Refused requests count too: the source stays refused while it keeps sending.
    advance(59_999);
    expect(names(send(1))).toEqual({ rateLimited: 1 });
    // Once its first 105 fell out of the window it is below the limit again.
    advance(2);
    expect(names(send(1))).toEqual({ passed: 1 });
  });

  it('refuses a flooding source before its requests take a token of the throttle', () => {
    const { send, post } = edge({ perSourceLimit: 10, rateLimit: 100, burstLimit: 20 });
    expect(names(send(1000, '203.0.113.66'))).toEqual({ passed: 10, rateLimited: 990 });
    // The bucket lost 10 tokens to the stranger, not 1,000: FusionAuth still gets through.
    expect(post('192.0.2.10')).toBeUndefined();
  });

  it('lets through, by default, a bulk delete of 10,000 users from one address at FusionAuth\'s peak of 100 a second', () => {
    const { post, advance } = edge();
    const answers = [];
    for (let i = 0; i < 10_000; i++) {
      answers.push(post('192.0.2.10'));
      advance(10);
    }
    expect(names(answers)).toEqual({ passed: 10_000 });
    // And would have another 5,000 in the same window.
    expect(EDGE_DEFAULTS.perSourceLimit - 10_000).toBe(5_000);
  });
});

describe('the allow-list', () => {
  it('refuses any other source in WAF with 403 [sourceNotAllowed], before the rate rule and the throttle', () => {
    const { local, send, post } = edge({ allowedSources: ['192.0.2.0/28', '2001:db8::/32'], rateLimit: 1, burstLimit: 1 });
    expect(names(send(500, '203.0.113.9'))).toEqual({ sourceNotAllowed: 500 });
    expect(post('192.0.2.15')).toBeUndefined();
    expect(post('2001:db8:1::5')).toBe(EDGE_ANSWERS.throttled);
    expect(post('192.0.2.16')).toBe(EDGE_ANSWERS.sourceNotAllowed);
    expect(local.counts).toEqual({ sourceNotAllowed: 501, rateLimited: 0, throttled: 1, policyDenied: 0, noRoute: 0, passed: 1 });
  });

  it('without WAF is the resource policy, which the emulation puts after the throttle: strangers still take its tokens', () => {
    const { send, post } = edge({ waf: false, allowedSources: ['192.0.2.10'], rateLimit: 1, burstLimit: 5 });
    expect(names(send(5, '203.0.113.9'))).toEqual({ policyDenied: 5 });
    expect(post('192.0.2.10')).toBe(EDGE_ANSWERS.throttled);
  });
});

describe('the route', () => {
  it('takes POST only, after WAF and before the throttle', () => {
    const { local } = edge({ rateLimit: 1, burstLimit: 1 });
    expect(local.answer({ method: 'GET', sourceIp: '192.0.2.1' })).toBe(EDGE_ANSWERS.noRoute);
    expect(local.answer({ method: 'POST', sourceIp: '192.0.2.1' })).toBeUndefined();
  });
});

describe('the edge npm start emulates', () => {
  it('is the construct\'s defaults unless the environment says otherwise, and none with LOCAL_EDGE=off', () => {
    expect(edgePolicyFromEnvironment({})).toEqual(resolveEdgePolicy({}));
    expect(edgePolicyFromEnvironment({ LOCAL_EDGE: 'off' })).toBeUndefined();
    expect(
      edgePolicyFromEnvironment({
        WAF: 'true',
        ALLOWED_SOURCES: '127.0.0.2, 10.0.0.0/8',
        PER_SOURCE_LIMIT: '200',
        PER_SOURCE_WINDOW_SECONDS: '60',
        THROTTLE_RATE_LIMIT: '20',
        THROTTLE_BURST_LIMIT: '40',
      }),
    ).toEqual({
      waf: true,
      allowedSources: { ipv4: ['127.0.0.2/32', '10.0.0.0/8'], ipv6: [] },
      perSourceLimit: 200,
      perSourceWindowSeconds: 60,
      rateLimit: 20,
      burstLimit: 40,
    });
  });

  it.each([
    [{ LOCAL_EDGE: 'maybe' }, /LOCAL_EDGE must be on or off/],
    [{ WAF: 'yes' }, /WAF must be true or false/],
    [{ PER_SOURCE_LIMIT: 'many' }, /PER_SOURCE_LIMIT must be a number/],
    [{ ALLOWED_SOURCES: 'fusionauth' }, /"fusionauth" is not an IPv4 or IPv6 address/],
    [{ WAF: 'false', PER_SOURCE_LIMIT: '100' }, /perSourceLimit is an AWS WAF rule/],
  ])('refuses %j', (env, message) => {
    expect(() => edgePolicyFromEnvironment(env)).toThrow(message);
  });
});

describe('toRestApiEvent', () => {
  const request = (rawHeaders: string[], remoteAddress = '::ffff:127.0.0.2') => {
    const socket = new Socket();
    Object.defineProperty(socket, 'remoteAddress', { value: remoteAddress });
    const message = new IncomingMessage(socket);
    Object.assign(message, { method: 'POST', url: '/passport-webhook?a=1&a=2', rawHeaders, httpVersion: '1.1' });
    return message;
  };

  it('builds the payload 1.0 event a REST API proxy integration sends', () => {
    const event = toRestApiEvent(
      request(['Authorization', 'key', 'Content-Type', 'application/json', 'X-Dup', 'one', 'x-dup', 'two', 'Host', 'localhost:3000']),
      Buffer.from('{"event":{}}'),
      { resource: '/passport-webhook', stage: 'prod' },
    );
    expect(event).toMatchObject({
      resource: '/passport-webhook',
      path: '/passport-webhook',
      httpMethod: 'POST',
      headers: { Authorization: 'key', 'Content-Type': 'application/json', 'X-Dup': 'two', Host: 'localhost:3000', 'X-Forwarded-For': '127.0.0.2' },
      multiValueHeaders: { Authorization: ['key'], 'X-Dup': ['one', 'two'], 'X-Forwarded-For': ['127.0.0.2'] },
      queryStringParameters: { a: '2' },
      multiValueQueryStringParameters: { a: ['1', '2'] },
      requestContext: { httpMethod: 'POST', path: '/prod/passport-webhook', resourcePath: '/passport-webhook', stage: 'prod', identity: { sourceIp: '127.0.0.2' } },
      body: '{"event":{}}',
      isBase64Encoded: false,
    });
    expect(event.requestContext.requestTime).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
  });

  it('passes any body as text, and none as null', () => {
    const binary = toRestApiEvent(request(['Content-Type', 'application/octet-stream']), Buffer.from('{}'), { resource: '/r' });
    expect(binary).toMatchObject({ body: '{}', isBase64Encoded: false, queryStringParameters: { a: '2' } });
    const empty = toRestApiEvent(request([], '::1'), Buffer.alloc(0), { resource: '/r' });
    expect(empty).toMatchObject({ body: null, requestContext: { identity: { sourceIp: '::1' } } });
  });
});
