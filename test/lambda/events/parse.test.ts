import { describe, expect, it } from 'vitest';
import { parseDelivery } from '../../../lambda/events/parse.ts';
import { thrown } from '../../support/thrown.ts';

const parse = (text: string | Uint8Array) => () => parseDelivery(typeof text === 'string' ? Buffer.from(text) : text);

describe('parseDelivery', () => {
  it('reads the type and id of an event envelope', () => {
    expect(parseDelivery(Buffer.from('{"event":{"type":"user.delete","id":"e1","user":{"id":"u"}}}'))).toEqual({
      type: 'user.delete',
      id: 'e1',
      event: { type: 'user.delete', id: 'e1', user: { id: 'u' } },
    });
  });

  it.each([
    ['', '[invalidJSON]'],
    ['{"event":', '[invalidJSON]'],
    ['{"event":{"type":"test"}} trailing', '[invalidJSON]'],
    ['null', '[invalid]body'],
    ['[]', '[invalid]body'],
    ['"text"', '[invalid]body'],
    ['{}', '[missing]event'],
    ['{"event":null}', '[missing]event'],
    ['{"event":[]}', '[invalid]event'],
    ['{"event":"user.delete"}', '[invalid]event'],
    ['{"event":{}}', '[missing]event.type'],
    ['{"event":{"type":null}}', '[missing]event.type'],
    ['{"event":{"type":7}}', '[invalid]event.type'],
    ['{"event":{"type":""}}', '[invalid]event.type'],
    ['{"event":{"type":["user.delete"]}}', '[invalid]event.type'],
    [`{"event":{"type":"${'x'.repeat(129)}"}}`, '[invalid]event.type'],
  ])('refuses %j with %s', (body, code) => {
    expect(thrown(parse(body))).toMatchObject({ statusCode: 400, code });
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(thrown(parse(Uint8Array.from([0x7b, 0xff, 0x7d])))).toMatchObject({ code: '[invalidJSON]' });
  });

  it('keeps an event whose id is unusable, without the id', () => {
    expect(parseDelivery(Buffer.from('{"event":{"type":"test","id":5}}')).id).toBeUndefined();
    expect(parseDelivery(Buffer.from(`{"event":{"type":"test","id":"${'i'.repeat(129)}"}}`)).id).toBeUndefined();
  });

  it('does not let a __proto__ key reach any prototype', () => {
    const delivery = parseDelivery(Buffer.from('{"event":{"type":"user.delete","__proto__":{"polluted":true},"user":{"__proto__":{"id":"x"}}}}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((delivery.event.user as { id?: string }).id).toBeUndefined();
  });
});
